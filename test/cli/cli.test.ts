import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { verifyPassword } from '../../src/auth/password/verify.js';
import { tempDir } from '../helpers/config.js';
import { repoRoot, runCli } from '../helpers/cli.js';

const packageVersion = (JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string }).version;

describe('gatehouse CLI', () => {
  it('prints help and version', async () => {
    const help = await runCli(['--help']);
    expect(help.code).toBe(0);
    for (const command of ['serve', 'validate-config', 'hash-password']) expect(help.stdout).toContain(command);
    expect(await runCli(['--version'])).toMatchObject({ code: 0, stdout: `gatehouse ${packageVersion}\n` });
    expect((await runCli(['serve', '--help'])).stdout).toContain('Usage: gatehouse serve --config FILE');
  });

  it('exits 2 with a clear message for unknown commands and options', async () => {
    expect(await runCli(['frobnicate'])).toMatchObject({
      code: 2,
      stderr: "gatehouse: unknown command 'frobnicate'; run 'gatehouse --help' for the list\n",
    });
    expect(await runCli(['--frobnicate'])).toMatchObject({
      code: 2,
      stderr: "gatehouse: unknown option '--frobnicate'; run 'gatehouse --help' for the list\n",
    });
    expect(await runCli(['validate-config', '--confg', 'x.yml'])).toMatchObject({
      code: 2,
      stderr: "gatehouse validate-config: unknown option '--confg'\n",
    });
    expect(await runCli(['serve'])).toMatchObject({
      code: 2,
      stderr: 'gatehouse serve: needs --config FILE (or the GATEHOUSE_CONFIG environment variable)\n',
    });
    expect((await runCli([])).code).toBe(2);
  });

  it('validates the shipped example configuration', async () => {
    const result = await runCli(['validate-config', '--config', 'config.example.yml']);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('configuration is valid\n');
  });

  it('prints every problem of an invalid configuration and exits 1', async () => {
    const file = join(tempDir(), 'bad.yml');
    writeFileSync(
      file,
      [
        'server: {address: "tcp://:99999"}',
        'sesion: {}',
        'session:',
        '  expiration: soon',
        '  cookies: [{domain: "*.example.com", portal_url: "https://auth.example.com"}]',
        'storage: {encryption_key: short}',
      ].join('\n'),
    );
    const result = await runCli(['validate-config', '--config', file]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(
      [
        `configuration '${file}' has 5 problems:`,
        "  - sesion: is not a known key, did you mean 'session'?",
        "  - server.address: must be 'tcp://HOST:PORT', 'tcp://:PORT' or 'unix:///PATH' but is 'tcp://:99999'",
        "  - session.expiration: must be a duration such as '90s', '1h30m', '5 minutes', '2 days' or a number of seconds but is 'soon'",
        "  - session.cookies[0].domain: must not start with '*.' but is '*.example.com'",
        '  - storage.encryption_key: must be at least 20 characters but is 5 characters',
        '',
      ].join('\n'),
    );
  });

  it('takes the configuration file from GATEHOUSE_CONFIG', async () => {
    const result = await runCli(['validate-config'], { env: { GATEHOUSE_CONFIG: 'config.example.yml' } });
    expect(result.stdout).toBe('configuration is valid\n');
  });

  it('reports a missing configuration file', async () => {
    const result = await runCli(['validate-config', '--config', '/nonexistent.yml']);
    expect(result).toMatchObject({
      code: 1,
      stderr: "configuration '/nonexistent.yml' has 1 problem:\n  - cannot read the configuration file '/nonexistent.yml': there is no such file (ENOENT)\n",
    });
  });

  it('hashes a password from stdin with argon2id and Authelia parameters', async () => {
    const result = await runCli(['hash-password'], { input: 'correct horse\nignored second line\n' });
    expect(result.code).toBe(0);
    const digest = result.stdout.trim();
    expect(digest).toMatch(/^\$argon2id\$v=19\$m=65536,t=3,p=4\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    expect(await verifyPassword(digest, 'correct horse')).toBe(true);
    expect(await verifyPassword(digest, 'correct horse\n')).toBe(false);
  });

  it.each([
    ['argon2i', /^\$argon2i\$v=19\$m=65536,t=3,p=4\$/],
    ['scrypt', /^\$scrypt\$ln=16,r=8,p=1\$/],
    ['pbkdf2-sha512', /^\$pbkdf2-sha512\$310000\$/],
    ['pbkdf2-sha256', /^\$pbkdf2-sha256\$700000\$/],
    ['bcrypt', /^\$2b\$12\$/],
  ])('hashes with --algorithm %s', async (algorithm, shape) => {
    const result = await runCli(['hash-password', '--algorithm', algorithm], { input: 'pw' });
    expect(result.stdout).toMatch(shape);
    expect(await verifyPassword(result.stdout.trim(), 'pw')).toBe(true);
    expect(await verifyPassword(result.stdout.trim(), 'pW')).toBe(false);
  });

  it('refuses an unknown algorithm and an empty password', async () => {
    expect(await runCli(['hash-password', '--algorithm', 'md5'])).toMatchObject({
      code: 2,
      stderr: "gatehouse hash-password: --algorithm must be one of argon2id, argon2i, scrypt, pbkdf2-sha512, pbkdf2-sha256, bcrypt but is 'md5'\n",
    });
    expect(await runCli(['hash-password'], { input: '\n' })).toMatchObject({
      code: 1,
      stderr: 'gatehouse hash-password: the password is empty\n',
    });
  });

  it('never writes a database when the configuration is invalid', async () => {
    const dir = tempDir();
    const file = join(dir, 'bad.yml');
    writeFileSync(
      file,
      'session: {cookies: [{domain: example.com, portal_url: https://auth.example.com}]}\nstorage: {encryption_key: short, local: {path: data/db.sqlite3}}\n',
    );
    expect((await runCli(['serve', '--config', file])).code).toBe(1);
    expect(existsSync(join(dir, 'data'))).toBe(false);
  });
});
