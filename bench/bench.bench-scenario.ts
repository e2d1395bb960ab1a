import { join } from 'node:path';
import { expect, it } from 'vitest';
import { REPO_ROOT } from '../test/support/paths.js';
import { FULL_PLAN } from './plan.js';
import { runBench } from './run.js';

// `npm run bench`: every scenario of issue 7 in one run, so that ratios compare like with like.
// Results, table and plots go to bench/results/. Numbers are measurements, not pass/fail checks;
// what is checked is that the runs did their work (every item exactly once).
it('runs the benchmark', async () => {
  const r = await runBench(FULL_PLAN, join(REPO_ROOT, 'bench', 'results'));
  expect(
    [...r.teamtask, ...(r.scale ? [r.scale] : []), ...(r.crowd ? [r.crowd] : [])].filter(
      (t) => t.notOnce.length,
    ),
  ).toEqual([]);
});
