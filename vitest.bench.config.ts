import { defineConfig } from 'vitest/config';

// `npm run bench`: the benchmark scenarios, against the same cluster the e2e suite would use.
// Not part of `npm test`: its numbers are measurements, not pass/fail checks.
export default defineConfig({
  test: {
    include: ['bench/**/*.bench-scenario.ts'],
    globalSetup: ['./test/support/e2e-global-setup.ts'],
    setupFiles: ['./test/support/e2e-setup.ts'],
    reporters: ['default'],
    disableConsoleIntercept: true,
    // The full run takes about 35 minutes on 2 cores.
    testTimeout: 10_800_000,
    hookTimeout: 600_000,
    fileParallelism: false,
  },
});
