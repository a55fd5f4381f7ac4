import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { keyReloadInterval, rotateStoredSigningKey, rotationDefaults } from '../../src/server/signing-keys.js';
import { SqliteStorage } from '../../src/storage/sqlite/open.js';
import { Browser, callback, issuer, secret, startProvider } from '../helpers/oidc.js';

const hour = 3_600_000;
const basic = `Basic ${Buffer.from(`confidential:${secret}`).toString('base64')}`;

/**
 * A running gateway on a manual clock whose timers (`setInterval`: the key reload, the purge)
 * are fake, so the test moves them; a second connection to its database plays the CLI.
 */
async function world() {
  vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
  onTestFinished(() => {
    vi.useRealTimers();
  });
  const w = await startProvider();
  const cli = SqliteStorage.open({ path: join(w.dir, 'db.sqlite3'), encryptionKey: 'a-very-long-test-encryption-key', clock: w.clock, appVersion: 'test' });
  onTestFinished(() => cli.close());
  const browser = new Browser(w.fetch);
  /** An ID token from a fresh sign-in (sessions end while the test moves the clock by hours). */
  const idToken = async () => {
    await browser.login();
    const authorization = await browser.get(
      `${issuer}/api/oidc/authorization?${new URLSearchParams({ client_id: 'confidential', redirect_uri: callback, response_type: 'code', scope: 'openid' })}`,
    );
    const code = new URL(authorization.headers.get('location')!).searchParams.get('code')!;
    const response = await w.fetch(`${issuer}/api/oidc/token`, {
      method: 'POST',
      body: new URLSearchParams({ grant_type: 'authorization_code', redirect_uri: callback, code }).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic },
    });
    expect(response.status).toBe(200);
    return ((await response.json()) as { id_token: string }).id_token;
  };
  const jwks = async () => (await (await w.fetch(`${issuer}/jwks.json`)).json()) as { keys: { kid: string }[] };
  const publishedKids = async () => (await jwks()).keys.map((k) => k.kid);
  /** Verifies `token` against the provider's current `/jwks.json`, as a relying party would (at the provider's time). */
  const verifies = async (token: string) => {
    try {
      await jwtVerify(token, createLocalJWKSet(await jwks()), { issuer, audience: 'confidential', currentDate: new Date(w.clock.now()) });
      return true;
    } catch {
      return false;
    }
  };
  /** Lets the gateway's reload timer fire, and waits (briefly, for its async read) until `done` holds. */
  const reloadUntil = async (done: () => Promise<boolean>) => {
    await vi.advanceTimersByTimeAsync(keyReloadInterval);
    for (let i = 0; i < 200 && !(await done()); i++) await delay(10);
    expect(await done()).toBe(true);
  };
  return { ...w, cli, idToken, publishedKids, verifies, reloadUntil };
}

const kidOf = (token: string) => decodeProtectedHeader(token).kid;

describe('key rotation in a running gateway', () => {
  it('publishes a key rotated by another process within the reload interval, signs with it after the delay, and retires the old key', async () => {
    const w = await world();
    const before = await w.idToken();
    const oldKid = kidOf(before)!;
    expect(await w.publishedKids()).toEqual([oldKid]);

    const config = w.config.identityProviders.oidc!;
    const rotation = await rotateStoredSigningKey(config, w.cli.oidc, { algorithm: 'RS256', publishDelay: hour / 2, now: w.clock.now() });
    const newKid = rotation.added.kid;
    // Not seen before the reload timer fires; seen after, without a restart.
    expect(await w.publishedKids()).toEqual([oldKid]);
    await w.reloadUntil(async () => (await w.publishedKids()).includes(newKid));
    expect(await w.publishedKids()).toEqual([oldKid, newKid]);

    // During the publish delay the old key still signs, and tokens in flight verify.
    const during = await w.idToken();
    expect(kidOf(during)).toBe(oldKid);
    expect(await w.verifies(before)).toBe(true);

    // After the delay (30 min) the new key signs; the old key's tokens, still alive, verify against /jwks.json.
    w.clock.advance(hour / 2);
    const after = await w.idToken();
    expect(kidOf(after)).toBe(newKid);
    expect(await w.verifies(after)).toBe(true);
    expect(await w.verifies(during)).toBe(true);
    expect(await w.verifies(before)).toBe(true);

    // Once the last token the old key signed has expired (1 h) plus the margin, it leaves the set…
    const retiresAt = rotation.retiring[0]!.retiresAt;
    expect(retiresAt).toBe(rotation.added.activatesAt + hour + rotationDefaults.retirementMargin);
    w.clock.set(retiresAt - 1);
    expect(await w.publishedKids()).toEqual([oldKid, newKid]);
    w.clock.set(retiresAt);
    expect(await w.publishedKids()).toEqual([newKid]);
    // …and the gateway's purge deletes it from the database.
    expect((await w.cli.oidc.signingKeys()).map((k) => k.kid)).toEqual([oldKid, newKid]);
    await vi.advanceTimersByTimeAsync(5 * 60_000);
    for (let i = 0; i < 200 && (await w.cli.oidc.signingKeys()).length > 1; i++) await delay(10);
    expect((await w.cli.oidc.signingKeys()).map((k) => k.kid)).toEqual([newKid]);
    expect(kidOf(await w.idToken())).toBe(newKid);
  });
});
