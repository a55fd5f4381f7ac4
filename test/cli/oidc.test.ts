import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { KeyStore } from '../../src/oidc/keys.js';
import { ManualClock } from '../../src/shared/clock.js';
import { SqliteStorage } from '../../src/storage/sqlite/open.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/config.js';

const client = { client_id: 'app', client_secret: 'a-client-secret-0123456789', redirect_uris: ['https://app.example.com/cb'] };

/** A configuration (JSON is YAML) with its database next to it; `oidc` null leaves the section out. */
function setup(oidc: Record<string, unknown> | null = {}): { file: string; dir: string } {
  const dir = tempDir();
  const file = join(dir, 'config.yml');
  const document = {
    session: { cookies: [{ domain: 'example.com', portal_url: 'https://auth.example.com' }] },
    storage: { encryption_key: 'a-very-long-test-encryption-key', local: { path: './db.sqlite3' } },
    ...(oidc ? { identity_providers: { oidc: { hmac_secret: 'a-very-long-hmac-secret-for-tests', clients: [client], ...oidc } } } : {}),
  };
  writeFileSync(file, JSON.stringify(document, null, 2));
  return { file, dir };
}

function openStorage(dir: string): SqliteStorage {
  return SqliteStorage.open({ path: join(dir, 'db.sqlite3'), encryptionKey: 'a-very-long-test-encryption-key', clock: new ManualClock(), appVersion: 'test' });
}

const iso = /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ/;
const at = (text: string) => Date.parse(text);

describe('gatehouse oidc keys', () => {
  it('rotate adds a key that signs after the publish delay, retires the previous signer, and list shows both', async () => {
    const { file, dir } = setup({ lifespans: { id_token: '2h' } });
    expect(await runCli(['oidc', 'keys', 'list', '--config', file])).toMatchObject({
      code: 0,
      stderr: '',
      stdout: "No signing key is stored yet: the gateway generates an RS256 key at its first start (or run 'gatehouse oidc keys rotate').\n",
    });

    const first = await runCli(['oidc', 'keys', 'rotate', '--config', file]);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    const firstKid = /^Added signing key (\S+) \(RS256\): published and signing now \(there was no RS256 key to take over from\)\.$/m.exec(first.stdout)?.[1];
    expect(firstKid).toMatch(/^[0-9a-f]{7}-rs256$/);

    const before = Date.now();
    const second = await runCli(['oidc', 'keys', 'rotate', '-c', file]);
    expect(second.code).toBe(0);
    const added = /^Added signing key (\S+) \(RS256\): published now, signs from (\S+) \(in 1h\)\.$/m.exec(second.stdout);
    expect(added, second.stdout).not.toBeNull();
    const [, secondKid, activeFrom] = added!;
    expect(at(activeFrom!)).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000 + 3_600_000);
    const retiring = new RegExp(
      `^Key ${firstKid} retires at (\\S+): it stays in /jwks.json until every token it signed has expired \\(longest token lifespan 2h\\)\\.$`,
      'm',
    ).exec(second.stdout);
    expect(retiring, second.stdout).not.toBeNull();
    // Retires 2 h (the longest ID token) + 5 min after the new key starts signing.
    expect(at(retiring![1]!) - at(activeFrom!)).toBe(2 * 3_600_000 + 5 * 60_000);
    expect(second.stdout).toMatch(/^A running gateway picks the change up within 30 seconds\.$/m);

    const list = await runCli(['oidc', 'keys', 'list', '--config', file]);
    expect(list.code).toBe(0);
    const lines = list.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^KID\s+ALGORITHM\s+CREATED\s+ACTIVE FROM\s+RETIRES AT\s+STATUS$/);
    expect(lines[1]!.split(/\s+/)).toEqual([firstKid, 'RS256', expect.stringMatching(iso), expect.stringMatching(iso), retiring![1], 'signing']);
    expect(lines[2]!.split(/\s+/)).toEqual([secondKid, 'RS256', expect.stringMatching(iso), activeFrom, '-', 'published']);
    expect(lines).toHaveLength(3);

    const es = await runCli(['oidc', 'keys', 'rotate', '--algorithm', 'es256', '--publish-delay', '0', '--config', file]);
    expect(es.stdout).toMatch(/^Added signing key \S+-es256 \(ES256\): published and signing now/m);

    // Stored encrypted; the gateway's key store reads them back and publishes all three.
    const storage = openStorage(dir);
    try {
      const raw = JSON.stringify(storage.db.prepare('SELECT private_key FROM oidc_signing_keys').all());
      expect(raw).not.toContain('PRIVATE KEY');
      const store = await KeyStore.load([], storage.oidc, { now: () => Date.now() });
      expect(store.jwks().keys.map((k) => k.kid)).toEqual([firstKid, secondKid, expect.stringMatching(/-es256$/)]);
      expect(store.signer('RS256').kid).toBe(firstKid);
    } finally {
      await storage.close();
    }
  });

  it('refuses to rotate configured keys (and says why), and lists them', async () => {
    const pem = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const { file } = setup({ jwks: [{ key_id: 'main', key: pem }] });
    const rotate = await runCli(['oidc', 'keys', 'rotate', '--config', file]);
    expect(rotate).toMatchObject({
      code: 1,
      stdout: '',
      stderr:
        'gatehouse oidc keys rotate: the signing keys are configured in identity_providers.oidc.jwks, and Gatehouse does not rotate configured keys. ' +
        'Rotate them by hand (docs/openid-connect.md, "Key rotation"), or remove jwks to let Gatehouse generate and rotate its keys\n',
    });
    const list = await runCli(['oidc', 'keys', 'list', '--config', file]);
    expect(list.code).toBe(0);
    expect(list.stdout.split('\n').slice(1)).toEqual([
      'main  RS256      -        -            -           signing',
      'These keys are configured in identity_providers.oidc.jwks (not rotated by Gatehouse).',
      '',
    ]);
  });

  it('fails without an OpenID Connect provider, and on a configuration problem', async () => {
    const { file } = setup(null);
    for (const action of ['list', 'rotate']) {
      expect(await runCli(['oidc', 'keys', action, '--config', file])).toMatchObject({
        code: 1,
        stderr: `gatehouse oidc keys ${action}: the configuration has no identity_providers.oidc section, so there are no signing keys\n`,
      });
    }
    const broken = setup({ hmac_secret: 'short' }).file;
    const result = await runCli(['oidc', 'keys', 'list', '--config', broken]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('identity_providers.oidc.hmac_secret: must be at least 20 characters');
  });

  it('answers usage errors with exit code 2', async () => {
    const { file } = setup();
    const help = await runCli(['oidc', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: gatehouse oidc keys list --config FILE');
    expect((await runCli(['--help'])).stdout).toMatch(/^ {2}oidc +list or rotate the OpenID Connect signing keys/m);
    expect((await runCli(['oidc'])).code).toBe(2);
    const usage: [string[], string][] = [
      [['oidc', 'keys'], "gatehouse oidc: expects 'keys list' or 'keys rotate'; run 'gatehouse oidc --help'"],
      [['oidc', 'keys', 'delete', '--config', file], "gatehouse oidc: expects 'keys list' or 'keys rotate'; run 'gatehouse oidc --help'"],
      [['oidc', 'keys', 'rotate', '--algorithm', 'HS256', '--config', file], "gatehouse oidc keys rotate: --algorithm must be RS256 or ES256 but is 'HS256'"],
      [
        ['oidc', 'keys', 'rotate', '--publish-delay', 'soon', '--config', file],
        "gatehouse oidc keys rotate: --publish-delay must be a duration such as 90s, 30m or 2h but is 'soon'",
      ],
      [
        ['oidc', 'keys', 'list', '--algorithm', 'RS256', '--config', file],
        "gatehouse oidc keys list: --algorithm and --publish-delay are options of 'keys rotate'",
      ],
      [['oidc', 'keys', 'rotate'], 'gatehouse oidc keys rotate: needs --config FILE (or the GATEHOUSE_CONFIG environment variable)'],
      [['oidc', 'keys', 'list', '--frob'], "gatehouse oidc: unknown option '--frob'"],
    ];
    for (const [args, message] of usage) expect(await runCli(args), args.join(' ')).toMatchObject({ code: 2, stdout: '', stderr: `${message}\n` });
  }, 60_000);
});
