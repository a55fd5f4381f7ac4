import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onTestFinished } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/config.js';
import { ConfigError } from '../../src/shared/errors.js';

/** A minimal valid configuration document; `overrides` are merged at the top level. */
export function minimalRaw(dataDir: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    server: { address: 'tcp://127.0.0.1:0' },
    log: { level: 'warn', format: 'json' },
    session: {
      cookies: [{ domain: 'example.com', portal_url: 'https://auth.example.com' }],
    },
    storage: { encryption_key: 'a-very-long-test-encryption-key', local: { path: join(dataDir, 'db.sqlite3') } },
    ...overrides,
  };
}

/** Parses a raw document, expecting success. */
export function configOf(raw: unknown, env: Record<string, string> = {}, baseDir = '/tmp'): Config {
  return parseConfig(raw, { env, baseDir }).config;
}

/** Parses a raw document, expecting failure; returns the problems. */
export function problemsOf(raw: unknown, env: Record<string, string> = {}, baseDir = '/tmp'): readonly string[] {
  try {
    parseConfig(raw, { env, baseDir });
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected the configuration to be refused');
}

/** A fresh temporary folder, removed after the current test. */
export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-test-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
