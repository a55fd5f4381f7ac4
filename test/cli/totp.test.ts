import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TOTP } from 'otpauth';
import { describe, expect, it } from 'vitest';
import { TotpService } from '../../src/auth/totp/totp-service.js';
import { loadConfig } from '../../src/config/load.js';
import { ManualClock } from '../../src/shared/clock.js';
import { systemRandom } from '../../src/shared/random.js';
import { SqliteStorage } from '../../src/storage/sqlite/open.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/config.js';
import { dbPath } from '../helpers/gateway.js';
import { vectors } from '../fixtures/users/vectors.js';

/** A configuration with a users file (john enabled, james disabled) in a fresh folder. */
function setup(totp = 'totp: {issuer: Example}'): string {
  const dir = tempDir();
  writeFileSync(
    join(dir, 'users.yml'),
    `users:\n  john: {displayname: John, password: '${vectors.pbkdf2Sha256}'}\n  james: {displayname: James, password: '${vectors.pbkdf2Sha256}', disabled: true}\n`,
  );
  const file = join(dir, 'config.yml');
  writeFileSync(
    file,
    [
      'session: {cookies: [{domain: example.com, portal_url: "https://auth.example.com"}]}',
      'storage: {encryption_key: a-very-long-test-encryption-key, local: {path: ./db.sqlite3}}',
      'authentication_backend: {file: {path: ./users.yml, password: {algorithm: pbkdf2, pbkdf2: {iterations: 100000}}}}',
      totp,
    ].join('\n'),
  );
  return file;
}

describe('gatehouse totp enroll', () => {
  it('saves a key the TOTP service then accepts, and prints the secret, URI and a QR code', async () => {
    const file = setup();
    const result = await runCli(['totp', 'enroll', 'john', '--config', file]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const secret = /^Secret: ([A-Z2-7]+)$/m.exec(result.stdout)?.[1];
    expect(secret).toHaveLength(52);
    expect(result.stdout).toContain(`URI:    otpauth://totp/Example:john?issuer=Example&secret=${secret}&algorithm=SHA1&digits=6&period=30\n`);
    expect(result.stdout).toMatch(/[█▀▄]/);

    const { config } = loadConfig(file, {});
    const clock = new ManualClock(Date.now());
    const storage = SqliteStorage.open({ path: dbPath(config), encryptionKey: config.storage.encryptionKey, clock, appVersion: 'test' });
    try {
      const service = new TotpService({ config: config.totp, repository: storage.totp, clock, random: systemRandom });
      const code = TOTP.generate({ secret: new TOTP({ secret: secret! }).secret, timestamp: clock.now() });
      expect(await service.verify('john', code)).toBe(true);
      expect(await service.verify('john', code)).toBe(false);
    } finally {
      await storage.close();
    }
  });

  it('imports a given secret, and refuses to replace a key without --force', async () => {
    const file = setup();
    const secret = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';
    expect((await runCli(['totp', 'enroll', 'john', '--secret', secret.toLowerCase(), '--config', file])).stdout).toContain(`Secret: ${secret}\n`);
    expect(await runCli(['totp', 'enroll', 'john', '--config', file])).toMatchObject({
      code: 1,
      stderr: "gatehouse totp enroll: 'john' already has a TOTP key; add --force to replace it\n",
    });
    const forced = await runCli(['totp', 'enroll', 'john', '--force', '--config', file]);
    expect(forced.code).toBe(0);
    expect(forced.stdout).not.toContain(secret);
  });

  it('refuses unknown and disabled users, and a disabled TOTP', async () => {
    const file = setup();
    const usersFile = join(file, '..', 'users.yml');
    for (const user of ['nobody', 'james']) {
      expect(await runCli(['totp', 'enroll', user, '--config', file])).toMatchObject({
        code: 1,
        stderr: `gatehouse totp enroll: there is no enabled user '${user}' in '${usersFile}'\n`,
      });
    }
    expect(await runCli(['totp', 'enroll', 'john', '--config', setup('totp: {disable: true}')])).toMatchObject({
      code: 1,
      stderr: 'gatehouse totp enroll: TOTP is disabled in the configuration (totp.disable: true)\n',
    });
  });

  it('exits 2 on usage mistakes', async () => {
    const file = setup();
    expect(await runCli(['totp', 'enrol', 'john', '--config', file])).toMatchObject({
      code: 2,
      stderr: "gatehouse totp: expects 'enroll USER'; run 'gatehouse totp --help'\n",
    });
    expect(await runCli(['totp', 'enroll', '--config', file])).toMatchObject({ code: 2, stderr: 'gatehouse totp enroll: expects exactly one USER\n' });
    expect(await runCli(['totp', 'enroll', 'john', '--secret', 'not base32!', '--config', file])).toMatchObject({
      code: 2,
      stderr: 'gatehouse totp enroll: --secret must be base32 (letters A-Z and digits 2-7)\n',
    });
    expect(await runCli(['totp', 'enroll', 'john', '--secret', 'JBSWY3DPEHPK3PXP', '--config', file])).toMatchObject({
      code: 2,
      stderr: 'gatehouse totp enroll: --secret must be at least 16 bytes (26 base32 characters) but is 10 bytes\n',
    });
    expect((await runCli(['totp', '--help'])).stdout).toContain('Usage: gatehouse totp enroll USER');
    expect((await runCli(['--help'])).stdout).toContain('totp');
  });
});
