import { stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import type { V1Job, V1Role } from '@kubernetes/client-node';
import { ownedObjects, worklistObject, type CreateOptions } from './objects.js';

const primes: CreateOptions = {
  name: 'primes',
  namespace: 'work',
  source: { range: { start: 1, end: 100000 } },
  blockSize: 1000,
  workers: 4,
  image: 'debian:12-slim',
  runtimeImage: 'ghcr.io/teamtask/teamtask:0.1.0',
  command: ['./is-prime.sh', '{}'],
  jobs: 2,
  cpu: '500m',
  memory: '256Mi',
};
const owner = { uid: '00000000-0000-0000-0000-000000000001' };
const job = (o: CreateOptions) => ownedObjects(o, owner).find((x) => x.kind === 'Job') as V1Job | undefined;
const role = (o: CreateOptions) => ownedObjects(o, owner).find((x) => x.kind === 'Role') as V1Role;

describe('the objects of kubectl teamtask create', () => {
  it('are stable: Worklist, worker identity and the Indexed Job with the injected runtime', async () => {
    const all = [worklistObject(primes), ...ownedObjects(primes, owner)];
    await expect(all.map((o) => stringify(o)).join('---\n')).toMatchFileSnapshot(
      './__snapshots__/primes.yaml',
    );
  });

  it("run the user's command in the user's image from the runtime the init container copied", () => {
    const pod = job(primes)!.spec!.template.spec!;
    expect(pod.initContainers![0]).toMatchObject({
      image: 'ghcr.io/teamtask/teamtask:0.1.0',
      command: ['cp', '-a', '/app', '/teamtask/app'],
      volumeMounts: [{ name: 'teamtask', mountPath: '/teamtask' }],
    });
    expect(pod.containers[0]).toMatchObject({
      image: 'debian:12-slim',
      command: [
        '/teamtask/app/bin/teamtask-launch',
        '/teamtask/app/node/bin/node',
        '/teamtask/app/bin/run.js',
        'work',
        'primes',
        '--jobs',
        '2',
        '--',
        './is-prime.sh',
        '{}',
      ],
      volumeMounts: [{ name: 'teamtask', mountPath: '/teamtask', readOnly: true }],
    });
    expect(job(primes)!.spec).toMatchObject({ completionMode: 'Indexed', completions: 4, parallelism: 4 });
  });

  it('fail the Job at once when the image cannot run the runtime, and ignore workers stopped on purpose', () => {
    const rules = job(primes)!.spec!.podFailurePolicy!.rules;
    expect(rules).toContainEqual({
      action: 'FailJob',
      onExitCodes: { containerName: 'worker', operator: 'In', values: [126] },
    });
    expect(rules).toContainEqual({
      action: 'Ignore',
      onExitCodes: { containerName: 'worker', operator: 'In', values: [143] },
    });
    expect(job(primes)!.spec!.template.spec!.containers[0]!.terminationMessagePolicy).toBe(
      'FallbackToLogsOnError',
    );
  });

  it("tell each worker its pod's name, which names its Block (an Indexed Job's host name is shared by a replacement pod)", () => {
    expect(job(primes)!.spec!.template.spec!.containers[0]!.env).toEqual([
      { name: 'TEAMTASK_POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
    ]);
  });

  it('pass --per-block to the workers instead of --jobs', () => {
    const command = job({ ...primes, perBlock: true })!.spec!.template.spec!.containers[0]!.command;
    expect(command).toEqual([
      '/teamtask/app/bin/teamtask-launch',
      '/teamtask/app/node/bin/node',
      '/teamtask/app/bin/run.js',
      'work',
      'primes',
      '--per-block',
      '--',
      './is-prime.sh',
      '{}',
    ]);
  });

  it("let the workers read a --from-configmap source's ConfigMap, and only it", () => {
    const r = role({ ...primes, source: { configMap: { name: 'hosts', key: 'list' } } });
    expect(r.rules).toContainEqual({
      apiGroups: [''],
      resources: ['configmaps'],
      resourceNames: ['hosts'],
      verbs: ['get'],
    });
  });

  it('make no Job and no worker identity with zero workers', () => {
    expect(ownedObjects({ ...primes, workers: 0 }, owner)).toEqual([]);
    expect(ownedObjects({ ...primes, workers: 0, fileItems: ['a'] }, owner).map((o) => o.kind)).toEqual([
      'ConfigMap',
    ]);
  });
});
