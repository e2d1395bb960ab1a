import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api, type KubernetesObject, type V1Job, type V1Pod } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ledgerOf } from '../../src/ledger/ledger.js';
import type { Block, Worklist } from '../../src/api/v1alpha1/index.js';
import { MIN_CPU_SECONDS } from '../../bench/cpu.js';
import { itemFunction } from '../../bench/item-functions.js';
import { SMOKE_PLAN } from '../../bench/plan.js';
import type { BenchResults } from '../../bench/report.js';
import { targets } from '../../bench/report.js';
import { runBench } from '../../bench/run.js';
import type { TeamtaskRun } from '../../bench/teamtask.js';
import { kubeConfig, teamtask } from '../support/kube.js';
import { Recorder, type Change } from '../support/watch.js';

// The smoke version of `npm run bench`: every scenario, small, so a change that breaks the
// benchmark fails here. What is checked is that each scenario did its work and counted it right,
// never how fast: timings are the benchmark's business. "Right" is held against what the test
// saw for itself: its own watches of the Worklists, Blocks, Jobs and pods the benchmark made
// (each Worklist's ledger as it stood at the end, every Block and pod that existed).
describe('npm run bench, the smoke version', () => {
  const out = mkdtempSync(join(tmpdir(), 'teamtask-bench-'));
  let r: BenchResults;
  let seen: {
    worklists: Recorder<Worklist>;
    blocks: Recorder<Block>;
    jobs: Recorder<V1Job>;
    pods: Recorder<V1Pod>;
  };

  beforeAll(async () => {
    // The CRDs, so that Worklists and Blocks can be watched from before the benchmark starts.
    expect(teamtask('install').status).toBe(0);
    const earlier = new Set(
      (await kubeConfig().makeApiClient(CoreV1Api).listNamespace()).items.map((n) => n.metadata!.name!),
    );
    // The benchmark's namespace: bench-…, made after now.
    const ours = (o: KubernetesObject) => {
      const ns = o.metadata?.namespace ?? '';
      return ns.startsWith('bench-') && !earlier.has(ns);
    };
    seen = {
      worklists: await Recorder.start<Worklist>('/apis/teamtask.dev/v1alpha1/worklists', ours),
      blocks: await Recorder.start<Block>('/apis/teamtask.dev/v1alpha1/blocks', ours),
      jobs: await Recorder.start<V1Job>('/apis/batch/v1/jobs', ours),
      pods: await Recorder.start<V1Pod>('/api/v1/pods', ours),
    };
    r = await runBench(SMOKE_PLAN, out);
  }, 600_000);
  afterAll(() => {
    for (const rec of Object.values(seen ?? {})) rec.stop();
  });

  /** The versions the watch saw of each object `pick` selects, by name, until its deletion began. */
  function live<T extends KubernetesObject>(
    rec: Recorder<T>,
    pick: (o: T) => boolean,
  ): Map<string, Change<T>[]> {
    const byName = new Map<string, Change<T>[]>();
    for (const c of rec.changes) {
      if (c.type === 'DELETED' || c.object.metadata?.deletionTimestamp || !pick(c.object)) continue;
      const name = c.object.metadata!.name!;
      byName.set(name, [...(byName.get(name) ?? []), c]);
    }
    return byName;
  }
  const worklist = (name: string) => live(seen.worklists, (w) => w.metadata.name === name).get(name) ?? [];
  /** A Worklist's ledger as the benchmark left it (the last status before its deletion). */
  const ledger = (name: string) => worklist(name).at(-1)?.object.status;
  const blocksOf = (name: string) => live(seen.blocks, (b) => b.spec.worklist === name);
  const bytes = (o: unknown) => Buffer.byteLength(JSON.stringify(o));

  /** The benchmark's name for a run of an item function and worker count (bench/run.ts). */
  const id = (x: { fn: string; workers: number }) => `${x.fn}-${x.workers}`.toLowerCase();
  /** Every Teamtask run with its Worklist's name. */
  const teamtaskRuns = (): Array<[string, TeamtaskRun]> => [
    ...r.teamtask.map((t): [string, TeamtaskRun] => [`tt-${id(t)}`, t]),
    ['scale', r.scale!],
    ['crowd', r.crowd!],
  ];

  it("is watched by the test from start to end, in one namespace of the benchmark's", () => {
    for (const [kind, rec] of Object.entries(seen))
      expect(rec.broken, `the watch of ${kind}`).toBeUndefined();
    const namespaces = new Set(seen.worklists.changes.map((c) => c.object.metadata.namespace));
    expect(namespaces.size).toBe(1);
  });

  it('runs Teamtask for every item function and worker count, each item exactly once, as the ledger says', () => {
    expect(r.teamtask.map((t) => `${t.fn}/${t.workers}`)).toEqual([
      'zero/1',
      'zero/3',
      '1ms/1',
      '1ms/3',
      'heavy/1',
      'heavy/3',
    ]);
    for (const [name, t] of teamtaskRuns()) {
      expect(t.notOnce, name).toEqual([]);
      expect(ledger(name), name).toMatchObject({
        totalItems: t.items,
        completedItems: t.items,
        failedItems: 0,
        completed: `0-${t.items - 1}`,
      });
    }
  });

  it('runs the same clients on one Worklist, then over secondaries of one parent, each item once, counting the writes it saw', () => {
    const { one, tree } = r.tree!;
    expect([one.notOnce, tree.notOnce]).toEqual([[], []]);
    for (const [name, t] of [
      ['one', one],
      ['tree', tree],
    ] as const) {
      expect(ledger(name), name).toMatchObject({ completedItems: t.items, completed: `0-${t.items - 1}` });
      // Its watch began after the Worklist was made: at most the versions this test's watch saw.
      expect(t.worklistWrites, name).toBeGreaterThan(0);
      expect(t.worklistWrites, name).toBeLessThan(worklist(name).length);
      expect(t.maxWorklistBytes, name).toBeLessThanOrEqual(
        Math.max(...worklist(name).map((c) => bytes(c.object))),
      );
      // Its Blocks' writes: some (a claim is one), and at most the changes this test saw of them.
      const blockChanges = seen.blocks.changes.filter((c) => c.object.spec.worklist === name).length;
      expect(t.blockWrites, name).toBeGreaterThan(0);
      expect(t.blockWrites, name).toBeLessThanOrEqual(blockChanges);
      expect(t.allWrites, name).toBeGreaterThanOrEqual(t.worklistWrites + t.blockWrites);
    }
    // The secondaries' ledgers and their workers' Blocks are written too.
    expect(tree.allWrites).toBeGreaterThan(tree.worklistWrites + tree.blockWrites);
    expect(tree.secondaries).toBe(2);
    // Every secondary took a share of the parent.
    for (const s of ['tree-s0', 'tree-s1']) expect(ledger(s)?.completedItems, s).toBeGreaterThan(0);
  });

  it('samples the live Blocks and the Worklist it made within what existed, and the size of etcd', () => {
    // Sampled every 250 ms (every second for the scale run's timeline): a run shorter than that
    // may have no sample while its Blocks live, but the six together, seconds long, have.
    expect(Math.max(...r.teamtask.map((t) => t.maxLiveBlocks))).toBeGreaterThan(0);
    for (const [name, t] of teamtaskRuns()) {
      expect(t.maxLiveBlocks, name).toBeLessThanOrEqual(blocksOf(name).size);
      expect(t.maxLiveBlocks, name).toBeLessThanOrEqual(t.workers + 2);
      // The largest of the versions the sampler read: one of the versions the watch saw.
      const sizes = worklist(name).map((c) => bytes(c.object));
      expect(t.maxWorklistBytes, name).toBeGreaterThanOrEqual(Math.min(...sizes));
      expect(t.maxWorklistBytes, name).toBeLessThanOrEqual(Math.max(...sizes));
    }
    const blocks = blocksOf('scale').size;
    expect(r.scale!.timeline!.length).toBeGreaterThan(0);
    expect(r.scale!.timeline!.filter((s) => s.liveBlocks > blocks)).toEqual([]);
    expect(r.etcdBytes).toBeGreaterThan(0);
  });

  it("counts Teamtask's API writes from kube-apiserver: each Block made and deleted once, every report and status the watch saw", () => {
    for (const [name, t] of teamtaskRuns()) {
      const blocks = [...blocksOf(name).values()];
      // One Block per worker client, which it makes at the start and deletes at the end.
      expect(blocks.length, name).toBe(t.workers);
      const kind = (k: string) => t.api.byKind[k] ?? 0;
      // Only what a run writes: Blocks, and its Worklist's ledger (the Worklist itself is made
      // before the run and deleted after it).
      expect(
        Object.keys(t.api.byKind).filter(
          (k) => !/^[A-Z]+ (blocks|blocks\/status|worklists\/status)$/.test(k),
        ),
        `${name}: writes of kinds it does not make`,
      ).toEqual([]);
      // A refused write (409, or 429 from API Priority and Fairness) may be tried again.
      const retried = t.api.conflicts + t.api.throttled;
      for (const k of ['POST blocks', 'DELETE blocks']) {
        expect(kind(k), `${name}: ${k}`).toBeGreaterThanOrEqual(blocks.length);
        expect(kind(k), `${name}: ${k}`).toBeLessThanOrEqual(blocks.length + retried);
      }
      // Every report bumps its Block's generation; every status the controller wrote that
      // changed something is a version of its own. A range is reported done at least once.
      const reports = blocks.reduce(
        (n, v) => n + Math.max(...v.map((c) => c.object.metadata.generation!)) - 1,
        0,
      );
      const statuses = blocks.reduce(
        (n, v) =>
          n +
          v.filter(
            (c, i) => i > 0 && JSON.stringify(c.object.status) !== JSON.stringify(v[i - 1]!.object.status),
          ).length,
        0,
      );
      expect(reports, name).toBeGreaterThanOrEqual(t.claims);
      expect(kind('PATCH blocks') + kind('PUT blocks'), `${name}: reports`).toBeGreaterThanOrEqual(reports);
      expect(
        kind('PATCH blocks/status') + kind('PUT blocks/status'),
        `${name}: Block statuses`,
      ).toBeGreaterThanOrEqual(statuses);
    }
  });

  it('sees every range handed out, as the controller and the ledger count them, and times the asks for them', () => {
    for (const [name, t] of teamtaskRuns()) {
      // status.nextToken: ranges handed out so far, plus one.
      const handedOut = ledger(name)!.nextToken! - 1;
      expect(t.ranges, name).toBe(handedOut);
      expect(t.assignments, name).toBe(handedOut);
      // Stolen tails are ranges handed out like any other; the asks are the controller's count.
      expect(t.stealAsks, name).toBeGreaterThanOrEqual(0);
      // A range is one block or more (workers ask for about 5 s of work), never more than 64.
      expect(t.ranges, name).toBeGreaterThanOrEqual(Math.ceil(t.blocks / 64));
      // An ask is answered with one range or two (a new Block gets its range and its next one:
      // with few blocks, the first Block may get them all).
      expect(t.claims, name).toBeLessThanOrEqual(t.ranges);
      expect(t.claims, name).toBeGreaterThanOrEqual(1);
      // A worker that ran more than one range was idle between them: timed.
      if (t.ranges > t.workers) expect(t.idleP99Ms, name).toBeGreaterThanOrEqual(0);
      // Every item was timed: a part of the workers' time (of items with a cost, a visible one).
      expect(t.busyShare, name).toBeLessThanOrEqual(1);
      if (t.fn !== 'zero') expect(t.busyShare, name).toBeGreaterThan(0);
      if (t.fn !== 'zero') expect(t.itemMs, name).toBeGreaterThan(0.5);
    }
  });

  it('measures where the CPU went while each Teamtask, static split and Redis queue run worked', () => {
    const local = inject('kcpLogs') !== '';
    const runs = [
      ...teamtaskRuns(),
      ...r.jobs.filter((j) => j.system === 'static-split').map((j) => [`split-${id(j)}`, j] as const),
      ...r.queues!.map((q) => [`rq-${id(q)}`, q] as const),
    ];
    // A run of less than a second is too short to tell (bench/cpu.ts); most runs here are longer.
    expect(runs.filter(([, x]) => x.cpu).length).toBeGreaterThan(runs.length / 2);
    for (const [name, x] of runs) {
      if (!x.cpu) {
        // Timed from a moment later than the CPU counters were read (a little shorter), and
        // rounded to hundredths: 0.996 s is written 1.
        expect(x.seconds, name).toBeLessThanOrEqual(MIN_CPU_SECONDS + 0.01);
        continue;
      }
      const cpu = x.cpu!;
      expect(cpu.cores, name).toBe(cpus().length);
      // Something ran on the machine all along: this process at least.
      expect(cpu.machineCores, name).toBeGreaterThan(0);
      expect(cpu.machineCores, name).toBeLessThanOrEqual(cpu.cores + 0.05);
      expect(Object.keys(cpu.byProcess), name).toEqual(
        expect.arrayContaining([
          'bench',
          'controller',
          'redis',
          // The local control plane's processes, by the names of its pid files (test/cluster/up.sh).
          ...(local ? ['kube-apiserver', 'etcd', 'kwok'] : []),
        ]),
      );
      for (const [p, c] of Object.entries(cpu.byProcess)) {
        expect(c, `${name}: ${p}`).toBeGreaterThanOrEqual(0);
        expect(c, `${name}: ${p}`).toBeLessThanOrEqual(cpu.cores + 0.05);
      }
    }
  });

  it('runs both Indexed Jobs on kwok pods, a pod per block and a pod per worker, and counts their writes', () => {
    expect(r.jobs).toHaveLength(2 * r.teamtask.length);
    for (const j of r.jobs) {
      const name = `${j.system === 'pod-per-block' ? 'ppb' : 'split'}-${id(j)}`;
      const pods = live(seen.pods, (p) => p.metadata?.labels?.['job-name'] === name);
      expect(pods.size, name).toBe(j.pods);
      expect(pods.size, name).toBe(
        j.system === 'pod-per-block' ? Math.ceil(j.items / itemFunction(j.fn).blockSize) : j.workers,
      );
      const job = live(seen.jobs, (x) => x.metadata?.name === name)
        .get(name)
        ?.at(-1)?.object;
      expect(job?.status?.succeeded, name).toBe(j.pods);
      // At least a create per pod (the run counts every write in the cluster, not only its own).
      expect(j.api.byKind['POST pods'], name).toBeGreaterThanOrEqual(pods.size);
      // No Worklist is made or deleted while a Job runs (the controller may still write the
      // status of the Teamtask run before, which the cluster-wide count includes).
      expect(
        Object.keys(j.api.byKind).filter((k) => /^(POST|DELETE) worklists$/.test(k)),
        `${name}: writes to Worklists`,
      ).toEqual([]);
    }
  });

  it('runs the same items through Teamtask --jobs, Teamtask --per-block and xargs, every item completed', () => {
    expect(r.commands.map((c) => c.system)).toEqual(
      r.teamtask.flatMap(() => ['teamtask-command', 'teamtask-per-block', 'xargs']),
    );
    r.teamtask.forEach((t, k) => {
      const [command, perBlock, xargs] = r.commands.slice(3 * k, 3 * k + 3) as [
        (typeof r.commands)[number],
        (typeof r.commands)[number],
        (typeof r.commands)[number],
      ];
      expect([command, perBlock, xargs].map((c) => `${c.fn}/${c.workers}`)).toEqual(
        Array.from({ length: 3 }, () => `${t.fn}/${t.workers}`),
      );
      expect([perBlock.items, xargs.items]).toEqual([command.items, command.items]);
      for (const [name, c, blocks] of [
        // One `kubectl teamtask work --jobs W` process; W worker clients with --per-block.
        [`cmd-${id(t)}`, command, 1],
        [`pb-${id(t)}`, perBlock, perBlock.workers],
      ] as const) {
        expect(ledger(name), name).toMatchObject({
          totalItems: c.items,
          completedItems: c.items,
          failedItems: 0,
        });
        expect(blocksOf(name).size, name).toBe(blocks);
      }
    });
  });

  it('runs the same half-second tasks through --per-block workers and xargs -P, never faster than the tasks allow', () => {
    expect(r.tasks!.map((t) => `${t.system}/${t.workers}/${t.tasks}`)).toEqual([
      'teamtask-per-block/2/6',
      'xargs/2/6',
    ]);
    for (const t of r.tasks!) {
      // W at a time, half a second each: no run can beat that (the Worklist run checked that
      // every task completed).
      expect(t.seconds, t.system).toBeGreaterThanOrEqual((t.tasks * t.taskSeconds) / t.workers);
    }
  });

  it('runs the same items in the same blocks through a Redis work queue, every item once', () => {
    expect(r.queues!.map((q) => `${q.fn}/${q.workers}/${q.items}/${q.blockSize}`)).toEqual(
      r.teamtask.map((t) => `${t.fn}/${t.workers}/${t.items}/${t.blockSize}`),
    );
    for (const q of r.queues!) {
      expect(q.notOnce, `${q.fn}/${q.workers}`).toEqual([]);
      // Per block: LMOVE, SET the lease, LREM, DEL the lease; and per worker at the end at
      // least the LMOVE that finds the queue empty and the LLEN that finds nothing in process.
      const blocks = Math.ceil(q.items / q.blockSize);
      expect(q.commandsPerBlock * blocks, `${q.fn}/${q.workers}`).toBeGreaterThanOrEqual(
        4 * blocks + 2 * q.workers - 0.01 * blocks,
      );
    }
  });

  it("measures a reclaim from the pod's deletion to its range's next holder, as a watch sees them", () => {
    expect(r.reclaimSeconds).toHaveLength(1);
    const pod = 'reclaim-0-pod';
    const versions = worklist('reclaim-0');
    const holder = (c: Change<Worklist>, index: number) =>
      [...ledgerOf(c.object).assignments.values()].find((a) => a.index === index)?.block;
    const first = versions.findIndex((c) => ledgerOf(c.object).assignments.has(pod));
    expect(first).toBeGreaterThanOrEqual(0);
    const index = ledgerOf(versions[first]!.object).assignments.get(pod)!.index;
    const moved = versions.slice(first).find((c) => ![undefined, pod].includes(holder(c, index)));
    const gone = seen.pods.changes.find((c) => c.type === 'DELETED' && c.object.metadata?.name === pod);
    expect(moved).toBeDefined();
    expect(gone).toBeDefined();
    expect(Math.abs(r.reclaimSeconds[0]! - (moved!.at - gone!.at) / 1000)).toBeLessThan(1);
    expect(ledger('reclaim-0')).toMatchObject({ totalItems: 30, completedItems: 30, failedItems: 0 });
  });

  it('runs the same workers through the gateway and with a kubeconfig, each item once, counting what a block cost the gateway', () => {
    expect(r.gateway!.map((g) => `${g.system}/${g.workers}`)).toEqual(['teamtask/2', 'teamtask-gateway/2']);
    for (const g of r.gateway!) {
      const name = `${g.system === 'teamtask' ? 'gwk' : 'gwg'}-${g.workers}`;
      expect(g.notOnce, name).toEqual([]);
      expect(ledger(name), name).toMatchObject({ completedItems: g.items, completed: `0-${g.items - 1}` });
      // Through the gateway every Block is one the gateway made, with the token's label; else none is.
      const made = [...blocksOf(name).values()].map(
        (v) => v[0]!.object.metadata.labels?.['teamtask.dev/gateway-token'],
      );
      expect(made.length, name).toBe(g.workers);
      if (g.system === 'teamtask-gateway') {
        expect(
          made.every((l) => l?.startsWith('bench-')),
          name,
        ).toBe(true);
        // At least a Block made, a report and a read per block, each an API call of the gateway's.
        expect(g.requestsPerBlock, name).toBeGreaterThanOrEqual(1);
        expect(g.apiCallsPerBlock, name).toBeGreaterThanOrEqual(1);
      } else {
        expect(made, name).toEqual(made.map(() => undefined));
      }
    }
    expect(readFileSync(join(out, `${r.date}.md`), 'utf8')).toContain('## Through the gateway');
  });

  it('measures every target of the issue', () => {
    for (const t of targets(r)) expect(t.met, t.target).not.toBeUndefined();
  });

  it('writes the JSON, the Markdown table and one PNG per plot', () => {
    const files = readdirSync(out).sort();
    expect(JSON.parse(readFileSync(join(out, `${r.date}.json`), 'utf8'))).toEqual(
      JSON.parse(JSON.stringify(r)),
    );
    const md = readFileSync(join(out, `${r.date}.md`), 'utf8');
    for (const t of targets(r)) expect(md).toContain(`| ${t.target} |`);
    const pngs = files.filter((f) => f.endsWith('.png'));
    expect(pngs).toEqual([
      `${r.date}-objects.png`,
      `${r.date}-throughput-1ms.png`,
      `${r.date}-throughput-heavy.png`,
      `${r.date}-throughput-zero.png`,
    ]);
    for (const p of pngs) {
      expect(readFileSync(join(out, p)).subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
      expect(md).toContain(`](${p})`);
    }
  });
});
