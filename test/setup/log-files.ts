import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Where every log line the test suite produces is collected (test/setup/log-capture.ts), one
 * file per worker process, scanned for secrets when the run ends (test/setup/log-scan.ts).
 * `GATEHOUSE_TEST_LOG_CAPTURE=0` turns the collection and the scan off.
 */
export const logRoot = fileURLToPath(new URL('../../test-results/logs/', import.meta.url));

/** This run's folder (runs in the same tree at once keep apart): named by the global setup, which passes it to the workers. */
export const logDir = process.env.GATEHOUSE_TEST_LOG_DIR ?? join(logRoot, 'unnamed-run');

/** Whether lines are collected in this run. */
export const capturing = process.env.GATEHOUSE_TEST_LOG_CAPTURE !== '0';

/** This worker's file. */
export function workerLogFile(): string {
  return join(logDir, `worker-${process.pid}.ndjson`);
}

/** Appends what a spawned `gatehouse serve` printed (its log) to this worker's file. */
export function appendProcessOutput(output: string): void {
  if (!capturing || output === '') return;
  mkdirSync(logDir, { recursive: true });
  appendFileSync(workerLogFile(), output.endsWith('\n') ? output : `${output}\n`);
}

/** The file the self-test (test/security/log-leak.test.ts) leaves when it has planted its line. */
export const plantedSentinel = 'planted-by-self-test';
