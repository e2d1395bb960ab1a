import {
  BatchV1Api,
  PatchStrategy,
  setHeaderOptions,
  type KubeConfig,
  type V1Job,
} from '@kubernetes/client-node';
import type { Worklist } from '../api/v1alpha1/index.js';
import { workerJob } from '../api/names.js';
import { HintedError, isApiError } from '../kube/errors.js';
import { TeamtaskClient, worklistNotFound } from '../kube/teamtask-client.js';
import { readWorklist } from './read.js';

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
  const worklist = await patchWorklist(kc, namespace, name, { spec: { suspend } });
  const { job, failed } = await workerJobOf(kc, worklist);
  if (failed && !suspend) {
    throw new HintedError(
      `worklist "${name}" resumed, but its Job ${failed} has failed and runs no workers`,
      `run workers with: kubectl teamtask work ${name} -n ${namespace} -- CMD`,
    );
  }
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
  const { job } = await workerJobOf(kc, await readWorklist(kc, namespace, name));
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

async function patchWorklist(
  kc: KubeConfig,
  namespace: string,
  name: string,
  body: unknown,
): Promise<Worklist> {
  try {
    return await new TeamtaskClient(kc).worklists(namespace).merge(name, body);
  } catch (err) {
    throw worklistNotFound(err, namespace, name);
  }
}

/**
 * The Worklist's Job (the one `create` made, owned by this Worklist: a Job of the same name that
 * is not its own is left alone), unless there is none or it has finished; `failed` names it
 * when it failed.
 */
async function workerJobOf(kc: KubeConfig, w: Worklist): Promise<{ job?: V1Job; failed?: string }> {
  let job: V1Job;
  try {
    job = await kc
      .makeApiClient(BatchV1Api)
      .readNamespacedJob({ namespace: w.metadata.namespace!, name: workerJob(w.metadata.name!) });
  } catch (err) {
    if (isApiError(err, 404)) return {};
    throw err;
  }
  if (!job.metadata?.ownerReferences?.some((r) => r.uid === w.metadata.uid)) return {};
  const has = (type: string) => job.status?.conditions?.some((c) => c.type === type && c.status === 'True');
  if (has('Failed')) return { failed: job.metadata.name };
  return has('Complete') ? {} : { job }; // batch/v1's JobComplete
}
