import { join } from 'node:path';
import { expect, it } from 'vitest';
import { REPO_ROOT } from '../test/support/paths.js';
import { FULL_PLAN, only } from './plan.js';
import { runBench } from './run.js';

// `npm run bench`: every scenario of issue 7 in one run, so that ratios compare like with like.
// Results, table and plots go to bench/results/. Numbers are measurements, not pass/fail checks;
// what is checked is that the runs did their work (every item exactly once).
// TEAMTASK_BENCH_ONLY=tree (or tasks, scale, crowd) runs that scenario alone.
it('runs the benchmark', async () => {
  const scenario = process.env.TEAMTASK_BENCH_ONLY;
  const plan = scenario ? only(FULL_PLAN, scenario) : FULL_PLAN;
  const r = await runBench(plan, join(REPO_ROOT, 'bench', 'results'));
  expect(
    [
      ...r.teamtask,
      ...(r.scale ? [r.scale] : []),
      ...(r.crowd ? [r.crowd] : []),
      ...(r.tree ? [r.tree.one, r.tree.tree] : []),
    ].filter((t) => t.notOnce.length),
  ).toEqual([]);
});
