import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // Every log line of the run is collected and scanned for secrets at its end (test/setup/log-capture.ts).
    setupFiles: ['test/setup/log-capture.ts'],
    globalSetup: ['test/setup/global-log-scan.ts'],
  },
});
