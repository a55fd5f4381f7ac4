import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import yaml from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { runMain } from '../helpers/cli.js';
import { minimalRaw, tempDir } from '../helpers/config.js';

const run = runMain;

/** A valid base file and an override that is wrong only when merged in (log.level: loud). */
function files() {
  const dir = tempDir();
  const base = join(dir, 'a.yml');
  const good = join(dir, 'b.yml');
  const bad = join(dir, 'c.yml');
  writeFileSync(base, yaml.dump(minimalRaw(dir)));
  writeFileSync(good, yaml.dump({ log: { level: 'debug' } }));
  writeFileSync(bad, yaml.dump({ log: { level: 'loud' } }));
  return { base, good, bad };
}

describe('several --config files on the command line', () => {
  it('merges every --config, and a comma-separated list, in validate-config', async () => {
    const { base, good, bad } = files();
    expect(await run(['validate-config', '--config', base, '--config', good])).toMatchObject({ code: 0 });
    expect(await run(['validate-config', '-c', `${base},${good}`])).toMatchObject({ code: 0 });
    const refused = await run(['validate-config', '--config', base, '--config', bad]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`configuration '${base}, ${bad}' has 1 problem:`);
    expect(refused.stderr).toContain(`  - ${bad}: log.level: must be one of`);
  });

  it('reads X_AUTHELIA_CONFIG (comma-separated) when --config is absent, and --config wins over it', async () => {
    const { base, good, bad } = files();
    expect(await run(['validate-config'], { X_AUTHELIA_CONFIG: `${base},${good}` })).toMatchObject({ code: 0 });
    expect(await run(['validate-config', '--config', base], { X_AUTHELIA_CONFIG: `${base},${bad}` })).toMatchObject({ code: 0 });
    expect(await run(['validate-config'], { X_AUTHELIA_CONFIG: `${base},${bad}` })).toMatchObject({ code: 1 });
  });

  it('refuses GATEHOUSE_CONFIG and X_AUTHELIA_CONFIG both set', async () => {
    const { base } = files();
    const result = await run(['validate-config'], { GATEHOUSE_CONFIG: base, X_AUTHELIA_CONFIG: base });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('the configuration is named by both GATEHOUSE_CONFIG and X_AUTHELIA_CONFIG; set only one of them');
  });

  it('takes several --config in the other subcommands too (rules explain)', async () => {
    const { base, good, bad } = files();
    expect((await run(['rules', 'explain', '-c', base, '-c', good, '--url', 'https://app.example.com/'])).code).toBe(0);
    expect((await run(['rules', 'explain', '-c', base, '-c', bad, '--url', 'https://app.example.com/'])).code).toBe(1);
  });
});
