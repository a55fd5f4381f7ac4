import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { AuthLevel } from '../../src/rules/policy.js';
import { CachedSessionStore, sessionCacheTtl } from '../../src/session/cached-store.js';
import { type SessionState, anonymousState } from '../../src/session/session.js';
import { StorageSessionStore, type SessionStore } from '../../src/session/store.js';
import { ManualClock } from '../../src/shared/clock.js';
import type { DeletedSession } from '../../src/storage/storage.js';
import { SqliteStorage } from '../../src/storage/sqlite/open.js';
import { tempDir } from '../helpers/config.js';
import { eventually, openTestSessions, redisAvailable, testPrefix } from '../helpers/redis.js';

/**
 * The one contract every SessionStore keeps (src/session/store.ts), run against each backend
 * and against the cache in front of each. `store` and `peer` are two instances sharing one
 * backend: two connections to one SQLite file (the gateway and the CLI), or two connections
 * to one Redis under this test's own key prefix (two gateways).
 */
interface World {
  readonly clock: ManualClock;
  readonly store: SessionStore;
  readonly peer: SessionStore;
}

interface Backend {
  readonly name: string;
  readonly redis: boolean;
  /** `store` caches with no change feed: it sees a change of `peer` only after sessionCacheTtl (the SQLite bound). */
  readonly ttlBound: boolean;
  open(): Promise<World>;
}

const redisUp = await redisAvailable('test/session/contract.test.ts');

function sqlite(cached: boolean): Backend {
  return {
    name: cached ? 'SQLite behind CachedSessionStore' : 'SQLite (StorageSessionStore)',
    redis: false,
    ttlBound: cached,
    async open() {
      const clock = new ManualClock(Date.now());
      const path = join(tempDir(), 'db.sqlite3');
      const open = () => {
        const storage = SqliteStorage.open({ path, encryptionKey: 'a-very-long-test-encryption-key', clock, appVersion: 'test' });
        return { storage, store: new StorageSessionStore(storage.sessions) };
      };
      const first = open();
      const second = open();
      onTestFinished(async () => {
        await first.storage.close();
        await second.storage.close();
      });
      return { clock, store: cached ? new CachedSessionStore(first.store, { clock }) : first.store, peer: second.store };
    },
  };
}

function redis(cached: boolean): Backend {
  return {
    name: cached ? 'Redis behind CachedSessionStore (invalidated over pub/sub)' : 'Redis (RedisSessionStore)',
    redis: true,
    ttlBound: false,
    async open() {
      const clock = new ManualClock(Date.now());
      const prefix = testPrefix();
      const a = await openTestSessions(clock, prefix, { changes: cached });
      const b = await openTestSessions(clock, prefix, { changes: cached });
      if (!cached) return { clock, store: a.store, peer: b.store };
      return {
        clock,
        store: new CachedSessionStore(a.store, { clock, changes: a.changes }),
        peer: new CachedSessionStore(b.store, { clock, changes: b.changes }),
      };
    },
  };
}

function person(clock: ManualClock, username: string, sid: string, extra: Partial<SessionState> = {}): SessionState {
  return {
    ...anonymousState('example.com', clock.now()),
    username,
    displayName: `${username} Doe`,
    groups: ['admins', 'dev'],
    emails: [`${username}@example.com`],
    level: AuthLevel.oneFactor,
    amr: ['pwd'],
    firstFactorAt: clock.now(),
    refreshedAt: clock.now(),
    sid,
    ...extra,
  };
}

const byHash = (a: { idHash: string }, b: { idHash: string }) => a.idHash.localeCompare(b.idHash);
const signedIn = (deleted: readonly DeletedSession[]) => deleted.filter((d) => d.username !== '').sort(byHash);
const hour = 3_600_000;

describe.each([sqlite(false), sqlite(true), redis(false), redis(true)])('SessionStore contract: $name', (backend) => {
  // Without a reachable Redis (outside CI) the Redis runs are skipped; test/helpers/redis.ts printed why.
  const it_ = backend.redis && !redisUp ? it.skip : it;

  it_('reads back what it saved; an unknown hash is absent', async () => {
    const { clock, store } = await backend.open();
    const state = person(clock, 'john', 'sid-1', { flows: { totpEnrolment: { verifiedAt: clock.now(), sealed: 'sealed-secret' } } });
    await store.set('h1', state, clock.now() + hour);
    expect(await store.get('h1')).toEqual(state);
    expect(await store.get('h-unknown')).toBeUndefined();
  });

  it_('hands every reader its own copy', async () => {
    const { clock, store } = await backend.open();
    await store.set('h1', person(clock, 'john', 'sid-1'), clock.now() + hour);
    const first = await store.get('h1');
    first!.groups.push('root');
    expect((await store.get('h1'))?.groups).toEqual(['admins', 'dev']);
  });

  it_('overwrites, and keeps its user index right when a session changes hands', async () => {
    const { clock, store } = await backend.open();
    await store.set('h1', person(clock, 'john', 'sid-1'), clock.now() + hour);
    await store.set('h1', person(clock, 'john', 'sid-1', { level: AuthLevel.twoFactor }), clock.now() + hour);
    expect((await store.get('h1'))?.level).toBe(AuthLevel.twoFactor);
    await store.set('h1', person(clock, 'bob', 'sid-2'), clock.now() + hour);
    expect(await store.listUser('john')).toEqual([]);
    expect((await store.listUser('bob')).map((s) => s.idHash)).toEqual(['h1']);
    expect(await store.deleteUser('john')).toEqual([]);
    expect((await store.get('h1'))?.username).toBe('bob');
    await store.set('h1', anonymousState('example.com', clock.now()), clock.now() + hour);
    expect(await store.listUser('bob')).toEqual([]);
    expect(await store.deleteUser('bob')).toEqual([]);
  });

  it_('deletes one session; deleting an unknown one is no error', async () => {
    const { clock, store } = await backend.open();
    await store.set('h1', person(clock, 'john', 'sid-1'), clock.now() + hour);
    await store.set('h2', person(clock, 'john', 'sid-2'), clock.now() + hour);
    await store.delete('h1');
    await store.delete('h-unknown');
    expect(await store.get('h1')).toBeUndefined();
    expect((await store.listUser('john')).map((s) => s.idHash)).toEqual(['h2']);
    expect(signedIn(await store.purgeExpired(clock.now() + 2 * hour)).map((d) => d.idHash)).toEqual(['h2']);
  });

  it_("deleteUser ends every session of the user, returning each with its sid, once; others' are kept", async () => {
    const { clock, store } = await backend.open();
    await store.set('h1', person(clock, 'john', 'sid-1'), clock.now() + hour);
    await store.set('h2', person(clock, 'john', 'sid-2'), clock.now() + 2 * hour);
    await store.set('h3', person(clock, 'bob', 'sid-3'), clock.now() + hour);
    await store.set('h4', anonymousState('example.com', clock.now()), clock.now() + hour);
    expect((await store.deleteUser('john')).sort(byHash)).toEqual([
      { idHash: 'h1', username: 'john', sid: 'sid-1' },
      { idHash: 'h2', username: 'john', sid: 'sid-2' },
    ]);
    expect(await store.get('h1')).toBeUndefined();
    expect(await store.get('h2')).toBeUndefined();
    expect(await store.listUser('john')).toEqual([]);
    expect(await store.deleteUser('john')).toEqual([]);
    expect((await store.get('h3'))?.username).toBe('bob');
    expect((await store.get('h4'))?.username).toBe('');
  });

  it_("listUser lists the hash, state and end of the user's sessions only", async () => {
    const { clock, store } = await backend.open();
    const john1 = person(clock, 'john', 'sid-1');
    const john2 = person(clock, 'john', 'sid-2', { level: AuthLevel.twoFactor });
    await store.set('h1', john1, clock.now() + hour);
    await store.set('h2', john2, clock.now() + 2 * hour);
    await store.set('h3', person(clock, 'bob', 'sid-3'), clock.now() + hour);
    expect((await store.listUser('john')).sort(byHash)).toEqual([
      { idHash: 'h1', state: john1, expiresAt: clock.now() + hour },
      { idHash: 'h2', state: john2, expiresAt: clock.now() + 2 * hour },
    ]);
    expect(await store.listUser('nobody')).toEqual([]);
  });

  it_('purgeExpired returns the signed-in sessions past their end with their sid, once, and keeps the rest', async () => {
    const { clock, store } = await backend.open();
    const start = clock.now();
    await store.set('h1', person(clock, 'john', 'sid-1'), start + 1_000);
    await store.set('h2', person(clock, 'john', 'sid-2'), start + 1_000);
    await store.set('h2', person(clock, 'john', 'sid-2'), start + hour); // activity moved its end
    await store.set('h3', { ...person(clock, 'bob', 'sid-3'), sid: undefined }, start + 1_000);
    await store.set('h4', anonymousState('example.com', start), start + 1_000);
    clock.advance(1_000);
    expect(signedIn(await store.purgeExpired(clock.now()))).toEqual([
      { idHash: 'h1', username: 'john', sid: 'sid-1' },
      { idHash: 'h3', username: 'bob', sid: undefined },
    ]);
    expect(signedIn(await store.purgeExpired(clock.now()))).toEqual([]);
    expect(await store.get('h1')).toBeUndefined();
    expect((await store.listUser('john')).map((s) => s.idHash)).toEqual(['h2']);
    expect(await store.listUser('bob')).toEqual([]);
  });

  it_('another instance sees what one saved, changed and deleted', async () => {
    const { clock, store, peer } = await backend.open();
    await store.set('h1', person(clock, 'john', 'sid-1'), clock.now() + hour);
    expect((await peer.get('h1'))?.username).toBe('john');
    await store.set('h1', person(clock, 'john', 'sid-1', { level: AuthLevel.twoFactor }), clock.now() + hour);
    // The clock stands still: a cache in front of `peer` must learn of it, not time out.
    await eventually(async () => (await peer.get('h1'))?.level === AuthLevel.twoFactor, 'the change to reach the other instance');
    await store.delete('h1');
    await eventually(async () => (await peer.get('h1')) === undefined, 'the delete to reach the other instance');
    await store.set('h2', person(clock, 'john', 'sid-2'), clock.now() + hour);
    expect((await peer.get('h2'))?.username).toBe('john');
    expect((await store.get('h2'))?.username).toBe('john');
    expect((await peer.deleteUser('john')).map((d) => d.idHash)).toEqual(['h2']);
    if (backend.ttlBound) {
      expect((await store.get('h2'))?.username).toBe('john'); // still served from memory…
      clock.advance(sessionCacheTtl); // …until the bound
    }
    await eventually(async () => (await store.get('h2')) === undefined, "the other instance's logout everywhere to reach this one");
  });

  it_('two instances purging at once announce each expired session exactly once', async () => {
    const { clock, store, peer } = await backend.open();
    const hashes = Array.from({ length: 60 }, (_, i) => `h${String(i).padStart(3, '0')}`);
    for (const h of hashes) await store.set(h, person(clock, `user${h}`, `sid-${h}`), clock.now() + 1_000);
    clock.advance(1_000);
    const [a, b] = await Promise.all([store.purgeExpired(clock.now()), peer.purgeExpired(clock.now())]);
    const all = [...signedIn(a!), ...signedIn(b!)].map((d) => d.idHash).sort();
    expect(all).toEqual(hashes);
    expect(signedIn(await store.purgeExpired(clock.now()))).toEqual([]);
  });

  it_("two instances ending a user's sessions at once return each session exactly once", async () => {
    const { clock, store, peer } = await backend.open();
    for (const h of ['h1', 'h2', 'h3']) await store.set(h, person(clock, 'john', `sid-${h}`), clock.now() + hour);
    const [a, b] = await Promise.all([store.deleteUser('john'), peer.deleteUser('john')]);
    expect([...a!, ...b!].map((d) => d.idHash).sort()).toEqual(['h1', 'h2', 'h3']);
  });
});

describe.skipIf(!redisUp)('RedisSessionStore: what only Redis does', () => {
  it('expires sessions with Redis TTLs, counted on the instance clock', async () => {
    const clock = new ManualClock(Date.UTC(2020, 0, 1)); // far from Redis's own clock: only the difference counts
    const prefix = testPrefix();
    const { store, client } = await openTestSessions(clock, prefix);
    await store.set('h1', person(clock, 'john', 'sid-1'), clock.now() + hour);
    const ttl = await client.pttl(`${prefix}data:h1`);
    expect(ttl).toBeGreaterThan(hour - 60_000);
    expect(ttl).toBeLessThanOrEqual(hour);
    await store.set('h2', person(clock, 'john', 'sid-2'), clock.now() - 1);
    await eventually(async () => (await client.exists(`${prefix}data:h2`)) === 0, 'Redis to expire a session past its end');
    expect(await store.get('h2')).toBeUndefined();
    // Its stub stays for the purge, which announces it.
    expect(signedIn(await store.purgeExpired(clock.now()))).toEqual([{ idHash: 'h2', username: 'john', sid: 'sid-2' }]);
    // An anonymous session is one key with a TTL, in no index.
    await store.set('h3', anonymousState('example.com', clock.now()), clock.now() + hour);
    const keys = (await client.keys(`${prefix}*`)).map((k) => k.slice(prefix.length).replace(/^user:.*/, 'user:…'));
    expect(keys.sort()).toEqual(['data:h1', 'data:h3', 'ends', 'stubs', 'user:…']);
    expect(await client.zrange(`${prefix}ends`, 0, -1)).toEqual(['h1']);
  });

  it('keeps nothing readable: keys name hashes, values are encrypted', async () => {
    const clock = new ManualClock(Date.now());
    const prefix = testPrefix();
    const { store, client } = await openTestSessions(clock, prefix);
    const id = 'the-session-id-from-the-cookie-AAAAAAAAAAAA';
    const state = person(clock, 'johnsmith', 'sid-secret-value', { displayName: 'John Smith', groups: ['wheel-admins'], emails: ['john.smith@example.org'] });
    const { hashSessionId } = await import('../../src/session/session-id.js');
    const idHash = hashSessionId(id);
    await store.set(idHash, state, clock.now() + hour);
    const keys = await client.keys(`${prefix}*`);
    const dump = [
      ...keys,
      (await client.get(`${prefix}data:${idHash}`)) ?? '',
      ...Object.entries(await client.hgetall(`${prefix}stubs`)).flat(),
      ...(await client.zrange(`${prefix}ends`, 0, -1)),
      ...(await Promise.all(keys.filter((k) => k.includes(':user:')).map((k) => client.smembers(k)))).flat(),
    ].join('\n');
    expect(dump).toContain(idHash);
    for (const secret of [id, 'johnsmith', 'John Smith', 'wheel-admins', 'john.smith@example.org', 'sid-secret-value', 'example.com', '"level"']) {
      expect(dump).not.toContain(secret);
    }
  });

  it('reads a value moved to another key, or written under another secret, as absent', async () => {
    const clock = new ManualClock(Date.now());
    const prefix = testPrefix();
    const { store, client } = await openTestSessions(clock, prefix);
    await store.set('h1', person(clock, 'john', 'sid-1'), clock.now() + hour);
    await client.set(`${prefix}data:h2`, (await client.get(`${prefix}data:h1`))!);
    expect(await store.get('h2')).toBeUndefined();
    const other = await openTestSessions(clock, prefix, { secret: 'another-very-long-session-secret' });
    expect(await other.store.get('h1')).toBeUndefined();
    expect(await other.store.listUser('john')).toEqual([]);
  });

  it('purges in batches; two instances purging together announce each of 1,200 sessions exactly once', async () => {
    const clock = new ManualClock(Date.now());
    const prefix = testPrefix();
    const a = await openTestSessions(clock, prefix);
    const b = await openTestSessions(clock, prefix);
    const hashes = Array.from({ length: 1_200 }, (_, i) => `h${String(i).padStart(4, '0')}`);
    await Promise.all(hashes.map((h, i) => a.store.set(h, person(clock, `user${i % 7}`, `sid-${h}`), clock.now() + 1_000)));
    clock.advance(1_000);
    const [fromA, fromB] = await Promise.all([a.store.purgeExpired(clock.now()), b.store.purgeExpired(clock.now())]);
    expect(fromA!.length).toBeGreaterThan(0);
    expect([...fromA!, ...fromB!].map((d) => d.idHash).sort()).toEqual(hashes);
    expect(await a.client.exists(`${prefix}ends`, `${prefix}stubs`)).toBe(0);
  });
});

describe.skipIf(!redisUp)('CachedSessionStore over Redis: changes on one instance reach the others', () => {
  /** Two gateways' stores on one Redis, and a clock that never moves: only invalidation messages can end what a cache serves. */
  async function twoInstances() {
    const clock = new ManualClock(Date.now());
    const prefix = testPrefix();
    const a = await openTestSessions(clock, prefix, { changes: true });
    const b = await openTestSessions(clock, prefix, { changes: true });
    const cli = await openTestSessions(clock, prefix);
    return {
      clock,
      prefix,
      raw: a.client,
      /** Resolves once `instance` received the message naming `idHash` (a read racing it is, rightly, not cached). */
      delivered: (instance: 'a' | 'b', idHash: string) =>
        new Promise<void>((resolve) => {
          const stop = (instance === 'a' ? a : b).changes!.listen({
            changed: (hashes) => {
              if (!hashes.includes(idHash)) return;
              stop();
              resolve();
            },
            reset: () => undefined,
          });
        }),
      a: new CachedSessionStore(a.store, { clock, changes: a.changes }),
      b: new CachedSessionStore(b.store, { clock, changes: b.changes }),
      cli: cli.store,
    };
  }

  it('serves the hot path from memory, and drops an entry another instance changed as soon as its message arrives', async () => {
    const { clock, prefix, raw, a, b, cli, delivered } = await twoInstances();
    const saved = delivered('b', 'h1');
    await a.set('h1', person(clock, 'john', 'sid-1'), clock.now() + hour);
    await saved;
    expect((await b.get('h1'))?.username).toBe('john');
    // Removed behind every cache's back (no message): B keeps serving from memory, without asking Redis.
    await raw.del(`${prefix}data:h1`);
    expect((await b.get('h1'))?.username).toBe('john');
    // A step-up on A: B sees the new level.
    await a.set('h1', person(clock, 'john', 'sid-1', { level: AuthLevel.twoFactor }), clock.now() + hour);
    await eventually(async () => (await b.get('h1'))?.level === AuthLevel.twoFactor, 'B to see the step-up made on A');
    // A logout on A.
    await a.delete('h1');
    await eventually(async () => (await b.get('h1')) === undefined, 'B to honour the logout made on A');
    // Logout everywhere on B, seen by A.
    await a.set('h2', person(clock, 'john', 'sid-2'), clock.now() + hour);
    await a.set('h3', person(clock, 'john', 'sid-3'), clock.now() + hour);
    expect((await a.get('h2'))?.username).toBe('john');
    expect((await b.deleteUser('john')).length).toBe(2);
    await eventually(async () => (await a.get('h2')) === undefined && (await a.get('h3')) === undefined, 'A to honour the logout everywhere made on B');
    // A revocation from the CLI (no cache, no subscription) reaches both.
    await a.set('h4', person(clock, 'bob', 'sid-4'), clock.now() + hour);
    expect((await b.get('h4'))?.username).toBe('bob');
    await cli.delete('h4');
    await eventually(async () => (await a.get('h4')) === undefined && (await b.get('h4')) === undefined, 'both to honour the revocation made by the CLI');
  });

  it('falls back to sessionCacheTtl when a change went by without a message', async () => {
    const { clock, prefix, raw, a, b, delivered } = await twoInstances();
    const saved = delivered('b', 'h1');
    await a.set('h1', person(clock, 'john', 'sid-1'), clock.now() + hour);
    await saved;
    expect((await b.get('h1'))?.username).toBe('john');
    await raw.del(`${prefix}data:h1`);
    clock.advance(sessionCacheTtl - 1);
    expect((await b.get('h1'))?.username).toBe('john');
    clock.advance(1);
    expect(await b.get('h1')).toBeUndefined();
  });
});
