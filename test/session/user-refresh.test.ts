import { describe, expect, it } from 'vitest';
import type { SessionCookieConfig } from '../../src/config/session.js';
import { CachedSessionStore } from '../../src/session/cached-store.js';
import { SessionManager } from '../../src/session/manager.js';
import { AuthLevel } from '../../src/rules/policy.js';
import type { SessionState } from '../../src/session/session.js';
import type { SessionStore } from '../../src/session/store.js';
import { StorageSessionStore } from '../../src/session/store.js';
import type { UserCheck, UserRefresh } from '../../src/session/user-refresh.js';
import { ManualClock } from '../../src/shared/clock.js';
import { systemRandom } from '../../src/shared/random.js';
import { configOf, minimalRaw } from '../helpers/config.js';
import { memoryStorage } from '../helpers/storage.js';

/** A refresh the test steers: what `due` and `check` answer, and what they were asked. */
class ScriptedRefresh implements UserRefresh {
  isDue = false;
  verdict: UserCheck = 'unchanged';
  edit: (state: SessionState) => void = () => undefined;
  readonly dueCalls: number[] = [];
  readonly checked: string[] = [];
  readonly stamped: { username: string; now: number }[] = [];
  endSessions: ((username: string) => Promise<number>) | undefined;

  due(_state: SessionState, now: number): boolean {
    this.dueCalls.push(now);
    return this.isDue;
  }

  async check(state: SessionState): Promise<UserCheck> {
    this.checked.push(state.username);
    this.edit(state);
    return this.verdict;
  }

  stamp(state: SessionState, now: number): void {
    this.stamped.push({ username: state.username, now });
    state.passwordFingerprint = 'f1f2f3f4f5f6f7f8';
  }

  connect(endSessions: (username: string) => Promise<number>): void {
    this.endSessions = endSessions;
  }
}

/** A store that counts the writes reaching it. */
class CountingStore implements SessionStore {
  writes = 0;
  constructor(private readonly inner: SessionStore) {}
  get(idHash: string) {
    return this.inner.get(idHash);
  }
  set(idHash: string, state: SessionState, expiresAt: number) {
    this.writes++;
    return this.inner.set(idHash, state, expiresAt);
  }
  delete(idHash: string) {
    return this.inner.delete(idHash);
  }
  deleteUser(username: string) {
    return this.inner.deleteUser(username);
  }
  listUser(username: string) {
    return this.inner.listUser(username);
  }
  purgeExpired(now: number) {
    return this.inner.purgeExpired(now);
  }
}

function setup() {
  const config = configOf(minimalRaw('/tmp/x'));
  const cookie = config.session.cookies[0] as SessionCookieConfig;
  const clock = new ManualClock();
  const storage = memoryStorage(clock);
  const store = new CountingStore(new CachedSessionStore(new StorageSessionStore(storage.sessions), { clock }));
  const refresh = new ScriptedRefresh();
  const manager = new SessionManager({ store, cookies: [cookie], clock, random: systemRandom, refresh });
  const signIn = async (username: string) => {
    const session = manager.create(cookie);
    Object.assign(session.state, { username, groups: ['dev'], level: AuthLevel.oneFactor, amr: ['pwd'] });
    manager.signedIn(session.state);
    return manager.regenerate(cookie, session);
  };
  const rows = () => (storage.db.prepare('SELECT username FROM sessions ORDER BY username').all() as { username: string }[]).map((r) => r.username);
  return { cookie, clock, storage, store, refresh, manager, signIn, rows };
}

describe('SessionManager with a user refresh', () => {
  it('asks whether the session is due at every load, and checks nothing when it is not', async () => {
    const { cookie, clock, refresh, manager, signIn, store } = setup();
    const session = await signIn('john');
    const writes = store.writes;
    clock.advance(1_000);
    expect((await manager.load(cookie, session.id))?.state.username).toBe('john');
    expect(refresh.dueCalls).toEqual([clock.now()]);
    expect(refresh.checked).toEqual([]);
    expect(store.writes).toBe(writes);
  });

  it('ends a due session whose user the check ends: load answers undefined and the row is gone', async () => {
    const { cookie, refresh, manager, signIn, rows } = setup();
    const john = await signIn('john');
    await signIn('bob');
    refresh.isDue = true;
    refresh.verdict = 'ended';
    expect(await manager.load(cookie, john.id)).toBeUndefined();
    expect(refresh.checked).toEqual(['john']);
    expect(rows()).toEqual(['bob']);
    refresh.verdict = 'unchanged';
    expect(await manager.load(cookie, john.id)).toBeUndefined();
  });

  it('saves what an updated check wrote into the state', async () => {
    const { cookie, clock, refresh, manager, signIn } = setup();
    const session = await signIn('john');
    refresh.isDue = true;
    refresh.verdict = 'updated';
    refresh.edit = (state) => (state.groups = ['admins']);
    expect((await manager.load(cookie, session.id))?.state.groups).toEqual(['admins']);
    refresh.isDue = false;
    clock.advance(10_000); // past the cache's lifetime: read from the database
    expect((await manager.load(cookie, session.id))?.state.groups).toEqual(['admins']);
  });

  it('writes nothing after an unchanged check', async () => {
    const { cookie, refresh, manager, signIn, store } = setup();
    const session = await signIn('john');
    const writes = store.writes;
    refresh.isDue = true;
    expect(await manager.load(cookie, session.id)).toBeDefined();
    expect(refresh.checked).toEqual(['john']);
    expect(store.writes).toBe(writes);
  });

  it('does not check an expired session: it ends as before', async () => {
    const { cookie, clock, refresh, manager, signIn } = setup();
    const session = await signIn('john');
    refresh.isDue = true;
    clock.advance(cookie.expiration);
    expect(await manager.load(cookie, session.id)).toBeUndefined();
    expect(refresh.checked).toEqual([]);
  });

  it('signedIn() stamps the state through the refresh with the current time, and it is stored', async () => {
    const { cookie, clock, refresh, manager, signIn } = setup();
    const session = await signIn('john');
    expect(refresh.stamped).toEqual([{ username: 'john', now: clock.now() }]);
    clock.advance(10_000);
    expect((await manager.load(cookie, session.id))?.state.passwordFingerprint).toBe('f1f2f3f4f5f6f7f8');
  });

  it('connects the refresh to destroyUser: every session of the user ends at once, cached copies too', async () => {
    const { cookie, refresh, manager, signIn, rows } = setup();
    const first = await signIn('john');
    const second = await signIn('john');
    const bob = await signIn('bob');
    expect(await manager.load(cookie, first.id)).toBeDefined(); // now in the in-process cache
    expect(await refresh.endSessions?.('john')).toBe(2);
    expect(rows()).toEqual(['bob']);
    expect(await manager.load(cookie, first.id)).toBeUndefined();
    expect(await manager.load(cookie, second.id)).toBeUndefined();
    expect(await manager.load(cookie, bob.id)).toBeDefined();
  });

  it('without a refresh, signedIn() only gives the session its sid, and loads check nothing', async () => {
    const { cookie, clock, storage } = setup();
    const manager = new SessionManager({ store: new StorageSessionStore(storage.sessions), cookies: [cookie], clock, random: systemRandom });
    const session = manager.create(cookie);
    session.state.username = 'john';
    const before = JSON.stringify(session.state);
    manager.signedIn(session.state);
    const { sid, ...rest } = session.state;
    expect(JSON.stringify(rest)).toBe(before);
    expect(sid).toMatch(/^[A-Za-z0-9_-]{22}$/);
    await manager.save(cookie, session);
    expect((await manager.load(cookie, session.id))?.state.username).toBe('john');
  });
});
