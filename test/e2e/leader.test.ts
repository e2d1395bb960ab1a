import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, freshNamespace, kubectl, kubectlStdin, teamtask } from '../support/kube.js';
import { blockYaml, range, worklistYaml } from '../support/objects.js';
import { patchBlock } from '../support/write.js';
import { readBlock } from '../support/read.js';
import { type Background, startController, withoutInClusterController } from '../support/processes.js';

// Two controller replicas: only the Lease holder assigns; when it dies without a word
// (SIGKILL), the other takes the Lease once it expires and carries on from the ledger.

let ns: Awaited<ReturnType<typeof freshNamespace>>;
let replicas: Background[] = [];

const getBlock = (name: string) => readBlock(ns.name, name);
const leaders = () => replicas.filter((r) => r.output.includes('became the leader'));

beforeAll(async () => {
  expect(teamtask('install').status).toBe(0);
  await withoutInClusterController();
  ns = await freshNamespace('e2e-leader');
});
afterAll(async () => {
  await Promise.all(replicas.map((r) => r.stop()));
  await ns?.remove();
});

describe('two controller replicas', () => {
  it('elect one leader, which alone assigns; a killed leader is replaced and work goes on', async () => {
    replicas = [
      startController('--leader-election-lease', '4s'),
      startController('--leader-election-lease', '4s'),
    ];
    const first = await eventually('a leader', async () => (leaders().length > 0 ? leaders() : undefined));
    expect(first).toHaveLength(1);

    const apply = kubectlStdin(
      [worklistYaml('ha', { source: range(1, 30), blockSize: 10 }), blockYaml('w', 'ha')].join('---\n'),
      'apply',
      '-n',
      ns.name,
    );
    expect(apply.stderr).toBe('');
    const assigned = await eventually('a range for w', async () => {
      const b = await getBlock('w');
      return b.status?.phase === 'Ready' ? b : undefined;
    });
    expect(leaders()).toHaveLength(1);

    const leader = first[0]!;
    leader.child.kill('SIGKILL');
    await leader.exited;
    const successor = replicas.find((r) => r !== leader)!;
    await eventually(
      'the other replica to lead',
      async () => (successor.output.includes('became the leader') ? true : undefined),
      30_000,
    );

    const s = assigned.status!;
    await patchBlock(ns.name, 'w', {
      spec: { report: { token: s.token, done: `${s.index}-${Number(s.index) + 9}`, complete: true } },
    });
    const next = await eventually('the new leader to hand out the next range', async () => {
      const b = await getBlock('w');
      return b.status?.phase === 'Ready' && b.status.token !== s.token ? b : undefined;
    });
    expect(next.status!.index).toBe(10);
    // Caches first, the Lease second: a replica leads only once it can work.
    for (const r of [leader, successor]) {
      expect(r.output.indexOf('are full')).toBeGreaterThan(-1);
      expect(r.output.indexOf('are full')).toBeLessThan(r.output.indexOf('became the leader'));
    }
  });

  it('a leader whose Lease another takes stops writing and exits 1, never leading again', async () => {
    const leader = leaders().find((r) => r.child.exitCode === null && r.child.signalCode === null)!;
    const renewTime = new Date().toISOString().replace('Z', '000Z');
    const stolen = kubectl(
      'patch',
      'lease',
      'teamtask-controller',
      '-n',
      'teamtask-system',
      '--type=merge',
      '-p',
      JSON.stringify({ spec: { holderIdentity: 'thief', renewTime, leaseDurationSeconds: 5 } }),
    );
    expect(stolen.status, stolen.stderr).toBe(0);
    expect(await leader.exited).toBe(1);
    expect(leader.output).toContain('lost the Lease: stopping');
    expect(leader.output.split('became the leader')).toHaveLength(2);
  });
});
