import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    reporters: ['default', './test/support/summary-reporter.ts'],
    // oclif writes through process.stdout; vitest's interception would swallow it.
    disableConsoleIntercept: true,
    projects: [
      {
        test: {
          name: 'unit',
          include: ['src/**/*.test.ts', 'test/unit/**/*.test.ts', 'bench/**/*.test.ts'],
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          globalSetup: ['./test/support/e2e-global-setup.ts'],
          setupFiles: ['./test/support/e2e-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 180_000,
          // One real control plane: files run one at a time so they do not starve each other.
          fileParallelism: false,
        },
      },
    ],
  },
});
