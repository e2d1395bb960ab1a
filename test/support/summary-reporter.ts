import type { Reporter, TestModule, TestRunEndReason } from 'vitest/node';

/**
 * Prints the plain closing line CI reads, `N passed, N failed`, summed over every project.
 * A module that failed to load and an unhandled error each count as a failure, and a run that
 * failed with no failed test (global setup) counts as one.
 */
export default class SummaryReporter implements Reporter {
  onTestRunEnd(
    modules: ReadonlyArray<TestModule>,
    unhandledErrors: ReadonlyArray<unknown>,
    reason: TestRunEndReason,
  ): void {
    let passed = 0;
    let failed = unhandledErrors.length;
    let skipped = 0;
    for (const mod of modules) {
      failed += mod.errors().length;
      for (const test of mod.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') passed++;
        else if (state === 'failed') failed++;
        else skipped++;
      }
    }
    // A run that failed before any test ran (global setup: no cluster) must not read as green.
    if (reason !== 'passed' && failed === 0) failed = 1;
    const line = `${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`;
    process.stdout.write(`\n${line}\n`);
  }
}
