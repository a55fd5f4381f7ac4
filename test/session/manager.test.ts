import { join } from 'node:path';
import { parse as parseSetCookie } from 'cookie';
import { describe, expect, it } from 'vitest';
import type { SessionCookieConfig } from '../../src/config/session.js';
import { SessionManager } from '../../src/session/manager.js';
import { AuthLevel } from '../../src/rules/policy.js';
import { hashSessionId, isSessionIdShape } from '../../src/session/session-id.js';
import { StorageSessionStore } from '../../src/session/store.js';
import { ManualClock } from '../../src/shared/clock.js';
import { systemRandom } from '../../src/shared/random.js';
import { SqliteStorage } from '../../src/storage/sqlite/open.js';
import { configOf, minimalRaw, tempDir } from '../helpers/config.js';

const minute = 60_000;

function setup(cookieOverrides: Record<string, unknown> = {}, path = ':memory:') {
  const config = configOf(
    minimalRaw('/tmp/x', {
      session: {
        cookies: [
          { domain: 'example.com', portal_url: 'https://auth.example.com', ...cookieOverrides },
          { domain: 'example.org', portal_url: 'https://auth.example.org' },
        ],
      },
    }),
  );
  const clock = new ManualClock();
  const storage = SqliteStorage.open({ path, encryptionKey: 'a-very-long-test-encryption-key', clock, appVersion: 't' });
  const manager = new SessionManager({
    store: new StorageSessionStore(storage.sessions),
    cookies: config.session.cookies,
    clock,
    random: systemRandom,
  });
  const [com, org] = config.session.cookies as [SessionCookieConfig, SessionCookieConfig];
  return { clock, storage, manager, com, org };
}

async function loggedIn(manager: SessionManager, cookie: SessionCookieConfig, keepMeLoggedIn = false) {
  const session = manager.create(cookie);
  Object.assign(session.state, { username: 'john', level: AuthLevel.oneFactor, amr: ['pwd'], keepMeLoggedIn });
  return manager.regenerate(cookie, session);
}

describe('session IDs', () => {
  it('are 256 random bits, base64url, and only their SHA-256 is stored', async () => {
    const { manager, com, storage } = setup();
    const session = await loggedIn(manager, com);
    expect(isSessionIdShape(session.id)).toBe(true);
    expect(Buffer.from(session.id, 'base64url')).toHaveLength(32);
    const rows = storage.db.prepare('SELECT * FROM sessions').all() as Record<string, unknown>[];
    expect(rows).toHaveLength(1);
    expect(rows[0]?.id_hash).toBe(hashSessionId(session.id));
    expect(JSON.stringify(rows)).not.toContain(session.id);
  });

  it('never repeat', () => {
    const { manager, com } = setup();
    const ids = new Set(Array.from({ length: 1000 }, () => manager.create(com).id));
    expect(ids.size).toBe(1000);
  });

  it('refuses cookie values that are not session IDs without a lookup', async () => {
    const { manager, com } = setup();
    for (const bad of ['', 'x', "' OR 1=1 --", 'a'.repeat(44), undefined]) expect(await manager.load(com, bad)).toBeUndefined();
  });
});

describe('session lifecycle', () => {
  it('loads a saved session and regenerating invalidates the old ID', async () => {
    const { manager, com } = setup();
    const anonymous = manager.create(com);
    await manager.save(com, anonymous);
    expect((await manager.load(com, anonymous.id))?.state.username).toBe('');
    const next = await manager.regenerate(com, anonymous);
    expect(next.id).not.toBe(anonymous.id);
    expect(await manager.load(com, anonymous.id)).toBeUndefined();
    expect(await manager.load(com, next.id)).toBeDefined();
  });

  it('ends a session after inactivity, and activity keeps it alive', async () => {
    const { manager, com, clock } = setup();
    const session = await loggedIn(manager, com);
    for (let i = 0; i < 10; i++) {
      clock.advance(4 * minute);
      const loaded = await manager.load(com, session.id);
      expect(loaded).toBeDefined();
      await manager.touch(com, loaded!);
    }
    clock.advance(5 * minute);
    expect(await manager.load(com, session.id)).toBeUndefined();
  });

  it('ends a session at its expiration even when active', async () => {
    const { manager, com, clock } = setup({ expiration: '1h', inactivity: '30m' });
    const session = await loggedIn(manager, com);
    for (let i = 0; i < 5; i++) {
      clock.advance(10 * minute);
      await manager.touch(com, (await manager.load(com, session.id))!);
    }
    clock.advance(10 * minute - 1);
    expect(await manager.load(com, session.id)).toBeDefined();
    clock.advance(1);
    expect(await manager.load(com, session.id)).toBeUndefined();
  });

  it('keeps a remember-me session past inactivity and expiration until remember_me', async () => {
    const { manager, com, clock } = setup({ remember_me: '2d' });
    const session = await loggedIn(manager, com, true);
    expect(parseSetCookie(manager.setCookie(com, session))['Max-Age']).toBe(String(2 * 86_400));
    clock.advance(47 * 60 * minute);
    expect(await manager.load(com, session.id)).toBeDefined();
    clock.advance(60 * minute);
    expect(await manager.load(com, session.id)).toBeUndefined();
  });

  it('ignores keepMeLoggedIn when remember_me is -1', async () => {
    const { manager, com, clock } = setup({ remember_me: -1 });
    const session = await loggedIn(manager, com, true);
    expect(manager.setCookie(com, session)).not.toContain('Max-Age');
    clock.advance(6 * minute);
    expect(await manager.load(com, session.id)).toBeUndefined();
  });

  it('writes activity at most every inactivity/10 (at most a minute)', async () => {
    const { manager, com, clock, storage } = setup();
    const session = await loggedIn(manager, com);
    const stored = () => (storage.db.prepare('SELECT expires_at FROM sessions').get() as { expires_at: number }).expires_at;
    const before = stored();
    clock.advance(29_000);
    await manager.touch(com, session);
    expect(stored()).toBe(before);
    clock.advance(1_000);
    await manager.touch(com, session);
    expect(stored()).toBe(before + 30_000);
  });

  it('refuses a session replayed on another cookie domain, and deletes it', async () => {
    const { manager, com, org } = setup();
    const session = await loggedIn(manager, com);
    expect(await manager.load(org, session.id)).toBeUndefined();
    expect(await manager.load(com, session.id)).toBeUndefined();
  });

  it('destroys one session, or all of a user', async () => {
    const { manager, com } = setup();
    const a = await loggedIn(manager, com);
    const b = await loggedIn(manager, com);
    const c = await loggedIn(manager, com);
    await manager.destroy(a);
    expect(await manager.load(com, a.id)).toBeUndefined();
    expect(await manager.destroyUser('john')).toBe(2);
    expect(await manager.load(com, b.id)).toBeUndefined();
    expect(await manager.load(com, c.id)).toBeUndefined();
  });

  it('purges expired sessions from the store', async () => {
    const { manager, com, clock, storage } = setup();
    await loggedIn(manager, com);
    await loggedIn(manager, com, true);
    clock.advance(6 * minute);
    expect(await manager.purge()).toBe(1);
    expect(storage.db.prepare('SELECT COUNT(*) AS n FROM sessions').get()).toEqual({ n: 1 });
  });

  it('survives a restart of the storage', async () => {
    const path = join(tempDir(), 'db.sqlite3');
    const first = setup({}, path);
    const session = await loggedIn(first.manager, first.com);
    await first.storage.close();
    const second = setup({}, path);
    const loaded = await second.manager.load(second.com, session.id);
    expect(loaded?.state).toMatchObject({ username: 'john', level: AuthLevel.oneFactor, amr: ['pwd'] });
    await second.storage.close();
  });
});

describe('session cookies', () => {
  it('carry Domain, Path, HttpOnly, Secure and SameSite, and no Max-Age without remember-me', async () => {
    const { manager, com } = setup({ name: 'sso', same_site: 'strict' });
    const session = await loggedIn(manager, com);
    expect(manager.setCookie(com, session)).toBe(`sso=${session.id}; Domain=example.com; Path=/; HttpOnly; Secure; SameSite=Strict`);
  });

  it('drop Secure only for plain-http portals under .localhost', () => {
    const config = configOf(
      minimalRaw('/tmp/x', {
        session: { cookies: [{ domain: 'gatehouse.localhost', portal_url: 'http://auth.gatehouse.localhost:9091' }] },
      }),
    );
    const { manager } = setup();
    const cookie = config.session.cookies[0]!;
    expect(manager.setCookie(cookie, manager.create(cookie))).not.toContain('Secure');
  });

  it('are cleared with an expired cookie of the same name and domain', () => {
    const { manager, com } = setup();
    expect(manager.clearCookie(com)).toBe(
      'gatehouse_session=; Max-Age=0; Domain=example.com; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; Secure; SameSite=Lax',
    );
  });

  it('are chosen by the request host', () => {
    const { manager } = setup();
    expect(manager.cookieFor('app.example.com')?.domain).toBe('example.com');
    expect(manager.cookieFor('EXAMPLE.ORG.')?.domain).toBe('example.org');
    expect(manager.cookieFor('example.com.evil.net')).toBeUndefined();
    expect(manager.cookieFor('notexample.com')).toBeUndefined();
  });
});
