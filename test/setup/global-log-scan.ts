import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { capturing, logRoot, plantedSentinel } from './log-files.js';
import { scanDir } from './log-scan.js';

/**
 * vitest `globalSetup`: gives the run its own folder under test-results/logs/ (workers inherit
 * `GATEHOUSE_TEST_LOG_DIR`); after the run (every worker done),
 * scans every line the suite logged (test/setup/log-capture.ts) and fails the run, listing the
 * lines, when one holds a secret (test/setup/log-scan.ts). When the self-test ran
 * (test/security/log-leak.test.ts), its planted line must have reached the files and been
 * caught, or the collection itself is broken and the run fails too. A clean run's folder is removed.
 */
export default function setup(): () => void {
  if (!capturing) return () => undefined;
  // Folders of earlier runs that failed (kept for inspection) go after a day.
  for (const old of existsSync(logRoot) ? readdirSync(logRoot) : []) {
    const at = join(logRoot, old);
    if (Date.now() - statSync(at).mtimeMs > 86_400_000) rmSync(at, { recursive: true, force: true });
  }
  const dir = join(logRoot, `run-${process.pid}-${Date.now()}`);
  mkdirSync(dir, { recursive: true });
  process.env.GATEHOUSE_TEST_LOG_DIR = dir;
  return () => {
    const { lines, leaks, planted } = scanDir(dir);
    const problems: string[] = [];
    if (existsSync(join(dir, plantedSentinel))) {
      if (planted.length === 0) problems.push('the self-test planted a line, but no collected file holds it: log collection is broken');
      for (const p of planted) if (p.why.startsWith('NOT FOUND')) problems.push(`the scan did not catch the planted secret: ${p.line}`);
    }
    for (const leak of leaks.slice(0, 50)) problems.push(`${leak.file}: ${leak.why}: ${leak.line}`);
    if (leaks.length > 50) problems.push(`… and ${leaks.length - 50} more`);
    // vitest reports a teardown's error without failing the run: the exit code says it.
    if (problems.length > 0) process.exitCode = 1;
    if (problems.length > 0) throw new Error(`log leak scan over ${lines} collected lines (kept in ${dir}):\n${problems.join('\n')}`);
    rmSync(dir, { recursive: true, force: true });
    process.stdout.write(`log leak scan: ${lines} collected log lines, none holds a secret\n`);
  };
}
