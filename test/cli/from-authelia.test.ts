import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import yaml from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { runMain } from '../helpers/cli.js';
import { minimalRaw, tempDir } from '../helpers/config.js';

const run = runMain;

function write(document: unknown): string {
  const file = join(tempDir(), 'configuration.yml');
  writeFileSync(file, yaml.dump(document));
  return file;
}

describe('gatehouse validate-config --from-authelia', () => {
  it('prints what loads but differs, each with the key that restores Authelia', async () => {
    const dir = tempDir();
    const result = await run(['validate-config', '--from-authelia', write(minimalRaw(dir))]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('configuration is valid\n');
    expect(result.stdout).toContain('What differs from Authelia');
    expect(result.stdout).toContain("set session.name: authelia_session to keep Authelia's name");
    expect(result.stdout).toContain('set totp.issuer: Authelia');
    expect(result.stdout).toContain('set webauthn.display_name: Authelia');
  });

  it('says nothing about a default the file already sets as Authelia has it', async () => {
    const dir = tempDir();
    const raw = minimalRaw(dir, {
      totp: { issuer: 'Authelia' },
      session: { name: 'authelia_session', cookies: [{ domain: 'example.com', authelia_url: 'https://auth.example.com' }] },
    });
    const result = await run(['validate-config', '--from-authelia', write(raw)]);
    expect(result.code).toBe(0);
    expect(result.stdout).not.toContain('session.name');
    expect(result.stdout).not.toContain('totp.issuer');
  });

  it('prints the same problems as --config for what Gatehouse lacks, and exits 1', async () => {
    const dir = tempDir();
    const file = write(minimalRaw(dir, { duo_api: { hostname: 'api.example.com', integration_key: 'K', secret_key: 'S' } }));
    const result = await run(['validate-config', '--from-authelia', file]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('  - duo_api: is an Authelia option that Gatehouse does not support yet (Duo push)\n');
    expect(result.stdout).toBe('');
  });

  it('refuses --config and --from-authelia together', async () => {
    const file = write(minimalRaw(tempDir()));
    const result = await run(['validate-config', '--config', file, '--from-authelia', file]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('give --config or --from-authelia, not both');
  });
});
