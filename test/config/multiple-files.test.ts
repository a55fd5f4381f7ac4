import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import yaml from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/shared/errors.js';
import { minimalRaw, tempDir } from '../helpers/config.js';

function write(dir: string, name: string, doc: unknown): string {
  const file = join(dir, name);
  writeFileSync(file, typeof doc === 'string' ? doc : yaml.dump(doc));
  return file;
}

function problems(run: () => unknown): readonly string[] {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('several configuration files, merged as Authelia merges them', () => {
  it('merges mappings key by key, the later file winning a key set twice, lists replaced whole', () => {
    const dir = tempDir();
    const base = write(dir, 'a.yml', { ...minimalRaw(dir), log: { level: 'warn', format: 'json' }, totp: { issuer: 'A', allowed_digits: [6, 8] } });
    const over = write(dir, 'b.yml', { log: { level: 'debug' }, totp: { allowed_digits: [6] } });
    const { config } = loadConfig([base, over], {});
    expect(config.log).toMatchObject({ level: 'debug', format: 'json' });
    expect(config.totp).toMatchObject({ issuer: 'A', allowedDigits: [6] });
  });

  it('splits a comma-separated list, as --config a.yml,b.yml', () => {
    const dir = tempDir();
    const base = write(dir, 'a.yml', minimalRaw(dir));
    const over = write(dir, 'b.yml', { log: { level: 'debug' } });
    expect(loadConfig(`${base},${over}`, {}).config.log.level).toBe('debug');
  });

  it("reads a folder's .yml, .yaml and .json files in name order, not its other files", () => {
    const dir = tempDir();
    const conf = join(dir, 'conf.d');
    mkdirSync(conf);
    write(conf, '10-base.yml', minimalRaw(dir));
    write(conf, '20-log.yaml', { log: { level: 'info' } });
    write(conf, '30-log.json', JSON.stringify({ log: { level: 'error' } }));
    write(conf, 'README.txt', 'not: [yaml');
    expect(loadConfig(conf, {}).config.log.level).toBe('error');
  });

  it('refuses a file given inside a folder also given', () => {
    const dir = tempDir();
    const file = write(dir, 'a.yml', minimalRaw(dir));
    expect(problems(() => loadConfig([dir, file], {}))).toEqual([
      `the configuration file '${file}' is inside a folder that is also given; give one or the other`,
    ]);
  });

  it('names the file a problem comes from', () => {
    const dir = tempDir();
    const base = write(dir, 'a.yml', minimalRaw(dir));
    const over = write(dir, 'b.yml', { log: { level: 'loud' }, regulation: { max_retries: 'many' } });
    expect(problems(() => loadConfig([base, over], {}))).toEqual([
      `${over}: log.level: must be one of 'trace', 'debug', 'info', 'warn', 'error' but is 'loud'`,
      `${over}: regulation.max_retries: must be a whole number but is 'many'`,
    ]);
  });

  it('names the file in a YAML syntax error', () => {
    const dir = tempDir();
    const base = write(dir, 'a.yml', minimalRaw(dir));
    const bad = write(dir, 'b.yml', 'log:\n  level: [debug\n');
    expect(problems(() => loadConfig([base, bad], {}))[0]).toMatch(new RegExp(`^${bad}:\\d+:\\d+: YAML syntax error`));
  });

  it('resolves a relative path against the folder of the file that set it', () => {
    const dir = tempDir();
    const other = join(dir, 'other');
    mkdirSync(other);
    const base = write(dir, 'a.yml', minimalRaw(dir));
    const over = write(other, 'b.yml', { log: { file_path: 'gatehouse.log' } });
    expect(loadConfig([base, over], {}).config.log.filePath).toBe(join(other, 'gatehouse.log'));
  });

  it("expands the environment with X_AUTHELIA_CONFIG_FILTERS=expand-env, and refuses 'template' by name", () => {
    const dir = tempDir();
    const file = write(dir, 'a.yml', `${yaml.dump(minimalRaw(dir))}totp:\n  issuer: \${ISSUER}\n`);
    expect(loadConfig(file, { X_AUTHELIA_CONFIG_FILTERS: 'expand-env', ISSUER: 'Example' }).config.totp.issuer).toBe('Example');
    // biome-ignore lint/suspicious/noTemplateCurlyInString: without the filter the text stays as written
    expect(loadConfig(file, {}).config.totp.issuer).toBe('${ISSUER}');
    expect(problems(() => loadConfig(file, { X_AUTHELIA_CONFIG_FILTERS: 'template' }))[0]).toMatch(
      /^X_AUTHELIA_CONFIG_FILTERS: the 'template' filter \(Go templates\) is not supported by Gatehouse; use 'expand-env'/,
    );
  });
});
