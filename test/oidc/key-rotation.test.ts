import { generateKeyPairSync } from 'node:crypto';
import { join } from 'node:path';
import { SignJWT, createLocalJWKSet, jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import type { OidcConfig } from '../../src/config/oidc.js';
import { keyStatus, longestSignedLifespan, rotateSigningKey, rotationDefaults } from '../../src/oidc/key-rotation.js';
import { KeyStore } from '../../src/oidc/keys.js';
import { ManualClock } from '../../src/shared/clock.js';
import { SqliteStorage } from '../../src/storage/sqlite/open.js';
import { configOf, minimalRaw, tempDir } from '../helpers/config.js';
import { memoryStorage } from '../helpers/storage.js';

const hour = 3_600_000;
const margin = rotationDefaults.retirementMargin;

function oidcConfig(oidc: Record<string, unknown> = {}, clients: Record<string, unknown>[] = [{}]): OidcConfig {
  const base = { redirect_uris: ['https://rp.example.com/cb'], client_secret: 'a-client-secret-0123456789' };
  const raw = minimalRaw(tempDir(), {
    identity_providers: {
      oidc: { hmac_secret: 'a-very-long-hmac-secret-for-tests', clients: clients.map((c, i) => ({ client_id: `rp${i}`, ...base, ...c })), ...oidc },
    },
  });
  return configOf(raw).identityProviders.oidc!;
}

const kids = (store: KeyStore) => store.jwks().keys.map((k) => k.kid);

describe('longest signed-token lifespan', () => {
  it('takes the longest ID token of any client and grant, and JWT access tokens only where a client has them', () => {
    expect(longestSignedLifespan(oidcConfig())).toBe(hour);
    expect(longestSignedLifespan(oidcConfig({ lifespans: { id_token: '2h', access_token: '5h' } }))).toBe(2 * hour);
    expect(longestSignedLifespan(oidcConfig({ lifespans: { access_token: '5h' } }, [{ access_token_signed_response_alg: 'RS256' }]))).toBe(5 * hour);
    const custom = { lifespans: { custom: { long: { id_token: '3h', grants: { refresh_token: { id_token: '6h' } } } } } };
    expect(longestSignedLifespan(oidcConfig(custom, [{}, { lifespan: 'long' }]))).toBe(6 * hour);
  });
});

describe('signing key rotation', () => {
  it('publishes the new key at once, signs with it after the delay, and retires the old one once its tokens have expired', async () => {
    const clock = new ManualClock();
    const storage = memoryStorage(clock);
    const config = oidcConfig();
    const store = await KeyStore.load([], storage.oidc, clock);
    const old = store.signer('RS256');
    expect(kids(store)).toEqual([old.kid]);

    const rotation = await rotateSigningKey(storage.oidc, config, { algorithm: 'RS256', publishDelay: hour, now: clock.now() });
    const start = clock.now();
    expect(rotation.added.activatesAt).toBe(start + hour);
    expect(rotation.retiring).toEqual([{ kid: old.kid, retiresAt: start + hour + hour + margin }]);
    expect(await store.reload()).toBe(true);
    expect(await store.reload()).toBe(false);
    // Published at once, not signing yet.
    expect(kids(store)).toEqual([old.kid, rotation.added.kid]);
    expect(store.signer('RS256').kid).toBe(old.kid);
    clock.advance(hour - 1);
    expect(store.signer('RS256').kid).toBe(old.kid);
    clock.advance(1);
    expect(store.signer('RS256').kid).toBe(rotation.added.kid);
    // The old key stays published while a token it signed can be alive, then leaves.
    clock.advance(hour + margin - 1);
    expect(kids(store)).toEqual([old.kid, rotation.added.kid]);
    clock.advance(1);
    expect(kids(store)).toEqual([rotation.added.kid]);
    expect(await storage.oidc.deleteRetiredSigningKeys(clock.now())).toEqual([old.kid]);
    expect(await store.reload()).toBe(true);
    expect(kids(store)).toEqual([rotation.added.kid]);
  });

  it('signs at once when there is no key of the algorithm to take over from, and keeps one signer per algorithm', async () => {
    const clock = new ManualClock();
    const storage = memoryStorage(clock);
    const config = oidcConfig();
    const first = await rotateSigningKey(storage.oidc, config, { algorithm: 'RS256', publishDelay: hour, now: clock.now() });
    expect(first).toMatchObject({ added: { activatesAt: clock.now() }, retiring: [], deleted: [] });
    // The gateway's first start finds an RS256 key: it generates none.
    const store = await KeyStore.load([], storage.oidc, clock);
    expect(kids(store)).toEqual([first.added.kid]);
    const es = await rotateSigningKey(storage.oidc, config, { algorithm: 'ES256', publishDelay: hour, now: clock.now() });
    expect(es.retiring).toEqual([]);
    await store.reload();
    expect(store.signer('ES256').kid).toBe(es.added.kid);
    expect(store.signer('RS256').kid).toBe(first.added.kid);
    expect(store.algorithms().sort()).toEqual(['ES256', 'RS256']);
  });

  it('rotated twice within the delay: each key signs in turn and retires after the one that replaced it took over', async () => {
    const clock = new ManualClock();
    const storage = memoryStorage(clock);
    const config = oidcConfig();
    const store = await KeyStore.load([], storage.oidc, clock);
    const k0 = store.signer('RS256').kid;
    const t0 = clock.now();
    const k1 = (await rotateSigningKey(storage.oidc, config, { algorithm: 'RS256', publishDelay: hour, now: t0 })).added.kid;
    clock.advance(10 * 60_000);
    const second = await rotateSigningKey(storage.oidc, config, { algorithm: 'RS256', publishDelay: hour, now: clock.now() });
    const k2 = second.added.kid;
    // k0 already retires after k1's activation; k1 retires after k2's.
    expect(second.retiring).toEqual([{ kid: k1, retiresAt: t0 + 10 * 60_000 + hour + hour + margin }]);
    await store.reload();
    const statuses = async () => {
      const stored = await storage.oidc.signingKeys();
      return stored.map((k) => keyStatus(stored, k, clock.now()));
    };
    expect(await statuses()).toEqual(['signing', 'retiring', 'published']);
    clock.set(t0 + hour);
    expect(store.signer('RS256').kid).toBe(k1);
    expect(await statuses()).toEqual(['retiring', 'signing', 'published']);
    clock.set(t0 + 10 * 60_000 + hour);
    expect(store.signer('RS256').kid).toBe(k2);
    expect(await statuses()).toEqual(['retiring', 'retiring', 'signing']);
    clock.set(t0 + 2 * hour + margin);
    expect(kids(store)).toEqual([k1, k2]);
    expect(await statuses()).toEqual(['retired', 'retiring', 'signing']);
    expect(k0).not.toBe(k1);
  });

  it('a key store reads a rotation (and a deletion) made through another connection to the same database', async () => {
    const dir = tempDir();
    const clock = new ManualClock();
    const open = () => SqliteStorage.open({ path: join(dir, 'db.sqlite3'), encryptionKey: 'a-very-long-test-encryption-key', clock, appVersion: 'test' });
    const gateway = open();
    const cli = open();
    try {
      const store = await KeyStore.load([], gateway.oidc, clock);
      const rotation = await rotateSigningKey(cli.oidc, oidcConfig(), { algorithm: 'RS256', publishDelay: 0, now: clock.now() });
      expect(kids(store)).not.toContain(rotation.added.kid);
      expect(await store.reload()).toBe(true);
      expect(store.signer('RS256').kid).toBe(rotation.added.kid);
      // The new key signs; what it signs verifies against the published set.
      const key = store.signer('RS256');
      const jwt = await new SignJWT({}).setProtectedHeader({ alg: 'RS256', kid: key.kid }).sign(key.privateKey);
      expect((await jwtVerify(jwt, createLocalJWKSet(store.jwks()))).protectedHeader.kid).toBe(rotation.added.kid);
      // A row deleted by hand (a compromised key, docs/openid-connect.md) leaves the set at the next reload.
      const old = kids(store)[0]!;
      cli.db.prepare('DELETE FROM oidc_signing_keys WHERE kid = ?').run(old);
      expect(await store.reload()).toBe(true);
      expect(kids(store)).toEqual([rotation.added.kid]);
    } finally {
      await cli.close();
      await gateway.close();
    }
  });

  it('configured keys are not read from storage and do not change on reload', async () => {
    const clock = new ManualClock();
    const storage = memoryStorage(clock);
    const pem = (curve?: string) =>
      (curve ? generateKeyPairSync('ec', { namedCurve: curve }).privateKey : generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey).export({
        type: 'pkcs8',
        format: 'pem',
      }) as string;
    const store = await KeyStore.load(
      [
        { keyId: 'main', algorithm: 'RS256', key: pem() },
        { keyId: 'next', algorithm: 'RS256', key: pem() },
        { keyId: 'ec', algorithm: 'ES256', key: pem('prime256v1') },
      ],
      storage.oidc,
      clock,
    );
    expect(store.signer('RS256').kid).toBe('main');
    expect(store.signer('ES256').kid).toBe('ec');
    await rotateSigningKey(storage.oidc, oidcConfig(), { algorithm: 'RS256', publishDelay: 0, now: clock.now() });
    expect(await store.reload()).toBe(false);
    expect(kids(store)).toEqual(['main', 'next', 'ec']);
  });
});
