import {
  ApiException,
  BatchV1Api,
  CustomObjectsApi,
  PatchStrategy,
  setHeaderOptions,
  type KubeConfig,
  type V1Job,
} from '@kubernetes/client-node';
import { GROUP, VERSION, WORKLIST_PLURAL, type Worklist } from '../api/v1alpha1/index.js';
import { workerJob } from '../create/objects.js';
import { HintedError } from '../kube/errors.js';

const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

/** What a change touched, for the command to print. */
export interface Changed {
  worklist: string;
  /** The Job's name when it was changed too; undefined when there is none or it has finished. */
  job?: string;
}

/**
 * Suspends or resumes a Worklist: no new ranges while suspended (work in progress finishes),
 * and its Job suspended too, so its pods stop (their workers give back what they had not done).
 */
export async function setSuspended(
  kc: KubeConfig,
  namespace: string,
  name: string,
  suspend: boolean,
): Promise<Changed> {
  await patchWorklist(kc, namespace, name, { spec: { suspend } });
  const job = await runningJob(kc, namespace, name);
  if (job) {
    await kc
      .makeApiClient(BatchV1Api)
      .patchNamespacedJob({ namespace, name: job.metadata!.name!, body: { spec: { suspend } } }, mergePatch);
  }
  return { worklist: name, job: job?.metadata?.name };
}

/** Sets the number of worker pods: the Job's parallelism and completions (an elastic Indexed Job). */
export async function scaleWorkers(
  kc: KubeConfig,
  namespace: string,
  name: string,
  workers: number,
): Promise<Changed> {
  await readWorklist(kc, namespace, name);
  const job = await runningJob(kc, namespace, name);
  if (!job) {
    throw new HintedError(
      `worklist "${name}" has no running Job to scale`,
      `it was created with --workers 0, or its Job finished; add workers with: kubectl teamtask work ${name} -n ${namespace} -- CMD`,
    );
  }
  await kc.makeApiClient(BatchV1Api).patchNamespacedJob(
    {
      namespace,
      name: job.metadata!.name!,
      body: { spec: { parallelism: workers, completions: workers } },
    },
    mergePatch,
  );
  return { worklist: name, job: job.metadata!.name! };
}

async function readWorklist(kc: KubeConfig, namespace: string, name: string): Promise<Worklist> {
  try {
    return (await kc.makeApiClient(CustomObjectsApi).getNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      plural: WORKLIST_PLURAL,
      namespace,
      name,
    })) as Worklist;
  } catch (err) {
    throw notFound(err, namespace, name);
  }
}

async function patchWorklist(kc: KubeConfig, namespace: string, name: string, body: unknown): Promise<void> {
  try {
    await kc
      .makeApiClient(CustomObjectsApi)
      .patchNamespacedCustomObject(
        { group: GROUP, version: VERSION, plural: WORKLIST_PLURAL, namespace, name, body },
        mergePatch,
      );
  } catch (err) {
    throw notFound(err, namespace, name);
  }
}

/** The Worklist's Job (made by create), unless there is none or it has finished. */
async function runningJob(kc: KubeConfig, namespace: string, worklist: string): Promise<V1Job | undefined> {
  let job: V1Job;
  try {
    job = await kc.makeApiClient(BatchV1Api).readNamespacedJob({ namespace, name: workerJob(worklist) });
  } catch (err) {
    if (err instanceof ApiException && err.code === 404) return undefined;
    throw err;
  }
  const finished = job.status?.conditions?.some(
    (c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True',
  );
  return finished ? undefined : job;
}

function notFound(err: unknown, namespace: string, name: string): unknown {
  if (err instanceof ApiException && err.code === 404) {
    return new HintedError(
      `worklist "${name}" not found in namespace ${namespace}`,
      'check the name (kubectl get worklists) and -n',
    );
  }
  return err;
}
