import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium } from 'playwright-core';
import { repoRoot } from './cli.js';

export const chromiumPath = '/usr/bin/chromium';

/**
 * Whether the browser suites can run. In CI a missing Chromium is a failure (the suite must
 * not silently pass); elsewhere the suite is skipped with a printed reason.
 */
export function browserAvailable(): boolean {
  if (existsSync(chromiumPath)) return true;
  if (process.env.CI === 'true') throw new Error(`Chromium is missing at ${chromiumPath}: .ci/run must install the chromium package`);
  console.warn(`skipping browser tests: no Chromium at ${chromiumPath} (apt-get install chromium)`);
  return false;
}

/** Headless Chromium with the flags this closed network needs. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** Where screenshots go: `test-results/screenshots/<suite>/`. */
export function screenshotDir(suite: string): string {
  const dir = join(repoRoot, 'test-results', 'screenshots', suite);
  mkdirSync(dir, { recursive: true });
  return dir;
}
