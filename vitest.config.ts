import { defineConfig } from 'vitest/config';

/**
 * Test files that replace a module of src/ with `vi.mock`: each runs in a fresh module graph
 * (isolated), so that its mock applies and never leaks into another file.
 */
export const mocking = ['test/security/csrf.test.ts', 'test/security/malformed-input.test.ts', 'test/security/timing.test.ts'];

const common = {
  testTimeout: 20_000,
  hookTimeout: 30_000,
  pool: 'forks' as const,
  // Every log line of the run is collected (test/setup/log-capture.ts), and scanned for secrets
  // at its end by the root's global setup (test/setup/global-log-scan.ts).
  setupFiles: ['test/setup/log-capture.ts'],
};

export default defineConfig({
  test: {
    globalSetup: ['test/setup/global-log-scan.ts'],
    projects: [
      // The rest share each worker's loaded modules (fastify, jose … are not imported again for
      // every file): the suite takes about 40% less time. Each file still builds its own gateways and stores.
      { test: { ...common, name: 'shared', include: ['test/**/*.test.ts'], exclude: mocking, isolate: false } },
      { test: { ...common, name: 'isolated', include: mocking, isolate: true } },
    ],
  },
});
