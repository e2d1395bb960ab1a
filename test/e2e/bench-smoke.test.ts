import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { SMOKE_PLAN } from '../../bench/plan.js';
import type { BenchResults } from '../../bench/report.js';
import { targets } from '../../bench/report.js';
import { runBench } from '../../bench/run.js';

// The smoke version of `npm run bench`: every scenario, small, so a change that breaks the
// benchmark fails here. What is checked is that each scenario did its work and counted it, never
// how fast: timings are the benchmark's business.
describe('npm run bench, the smoke version', () => {
  const out = mkdtempSync(join(tmpdir(), 'teamtask-bench-'));
  let r: BenchResults;

  beforeAll(async () => {
    r = await runBench(SMOKE_PLAN, out);
  }, 600_000);

  it('runs Teamtask for every item function and worker count, each item exactly once', () => {
    expect(r.teamtask.map((t) => `${t.fn}/${t.workers}`)).toEqual([
      'zero/1',
      'zero/3',
      '1ms/1',
      '1ms/3',
      'heavy/1',
      'heavy/3',
    ]);
    for (const t of [...r.teamtask, r.scale!]) {
      expect(t.notOnce, `${t.fn}/${t.workers}`).toEqual([]);
      expect(t.maxLiveBlocks).toBeGreaterThan(0);
      expect(t.maxLiveBlocks).toBeLessThanOrEqual(t.workers + 2);
      expect(t.maxWorklistBytes).toBeGreaterThan(0);
    }
  });

  it("counts Teamtask's API writes from kube-apiserver: at least a report and a status per block", () => {
    for (const t of r.teamtask) {
      expect(t.api.byKind['PATCH blocks'] ?? 0, `${t.fn}/${t.workers}`).toBeGreaterThanOrEqual(t.blocks);
      expect(t.api.byKind['PATCH blocks/status'] ?? 0).toBeGreaterThanOrEqual(t.blocks);
      expect(t.writesPerBlock).toBe(Math.round((t.api.writes / t.blocks) * 100) / 100);
    }
  });

  it('times one claim per range handed out, as the controller counts them', () => {
    for (const t of r.teamtask) {
      expect(t.claims, `${t.fn}/${t.workers}`).toBe(t.assignments);
      expect(t.claims).toBeGreaterThanOrEqual(t.blocks);
      expect(t.claimP99Ms).toBeGreaterThanOrEqual(t.claimP50Ms!);
    }
  });

  it('runs both Indexed Jobs on kwok pods, a pod per block and a pod per worker, and counts their writes', () => {
    for (const j of r.jobs) {
      const blockSize = j.fn === 'heavy' ? 100 : 1000;
      expect(j.pods).toBe(j.system === 'pod-per-block' ? Math.ceil(j.items / blockSize) : j.workers);
      expect(j.api.byKind['POST pods']).toBeGreaterThanOrEqual(j.pods);
    }
    expect(r.jobs).toHaveLength(2 * r.teamtask.length);
  });

  it('runs the same items through Teamtask --jobs, Teamtask --per-block and xargs', () => {
    expect(r.commands.map((c) => c.system)).toEqual(
      r.teamtask.flatMap(() => ['teamtask-command', 'teamtask-per-block', 'xargs']),
    );
    for (const c of r.commands) expect(c.itemsPerSecond).toBeGreaterThan(0);
  });

  it('measures a reclaim and the scale run over time', () => {
    expect(r.reclaimSeconds).toHaveLength(1);
    expect(r.reclaimSeconds[0]).toBeGreaterThan(0);
    expect(r.scale!.timeline!.length).toBeGreaterThan(0);
    expect(r.etcdBytes).toBeGreaterThan(0);
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
