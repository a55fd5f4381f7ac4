import { describe, expect, it } from 'vitest';
import type { StoredSession } from '../../../src/storage/storage.js';
import { storageBackends, useBackend } from './backends.js';

const session = (over: Partial<StoredSession> = {}): StoredSession => ({
  idHash: 'h1',
  username: 'john',
  data: '{"a":1}',
  createdAt: 10,
  expiresAt: 100,
  ...over,
});
const byId = (a: { idHash: string }, b: { idHash: string }) => a.idHash.localeCompare(b.idHash);

describe.each(storageBackends)('sessions ($name)', (backend) => {
  const db = useBackend(backend);

  it('stores, replaces, reads back exactly and deletes a session', async () => {
    const { sessions } = await db.open();
    expect(await sessions.get('h1')).toBeUndefined();
    // Data is returned as written, byte for byte (not normalised JSON).
    const data = '{ "b": 2,  "a": [1, "é"] }';
    await sessions.put(session({ data }));
    expect(await sessions.get('h1')).toEqual(session({ data }));
    await sessions.put(session({ username: '', data: '{}', createdAt: 20, expiresAt: 200 }));
    expect(await sessions.get('h1')).toEqual(session({ username: '', data: '{}', createdAt: 20, expiresAt: 200 }));
    await sessions.delete('h1');
    await sessions.delete('h1');
    expect(await sessions.get('h1')).toBeUndefined();
  });

  it('keeps times beyond 32 bits exactly', async () => {
    const { sessions } = await db.open();
    const far = Date.UTC(2200, 0, 1) + 123;
    await sessions.put(session({ createdAt: far - 1, expiresAt: far }));
    expect(await sessions.get('h1')).toMatchObject({ createdAt: far - 1, expiresAt: far });
  });

  it('deletes expired sessions and sessions by user, returning their user and sid', async () => {
    const { sessions } = await db.open();
    const put = (idHash: string, username: string, expiresAt: number, sid?: string) =>
      sessions.put(session({ idHash, username, data: JSON.stringify(sid ? { sid, x: 1 } : {}), createdAt: 0, expiresAt }));
    await put('a', 'john', 100, 'sid-a');
    await put('b', 'john', 300, 'sid-b');
    await put('c', '', 50);
    await put('d', 'bob', 400);
    expect((await sessions.deleteExpired(100)).sort(byId)).toEqual([
      { idHash: 'a', username: 'john', sid: 'sid-a' },
      { idHash: 'c', username: '', sid: undefined },
    ]);
    expect(await sessions.deleteExpired(100)).toEqual([]);
    expect(await sessions.deleteByUsername('john')).toEqual([{ idHash: 'b', username: 'john', sid: 'sid-b' }]);
    // Anonymous sessions have no user to end them by.
    await put('e', '', 500);
    expect(await sessions.deleteByUsername('')).toEqual([]);
    expect(await sessions.get('d')).toBeDefined();
    expect(await sessions.get('e')).toBeDefined();
  });

  it("lists a user's sessions, oldest first", async () => {
    const { sessions } = await db.open();
    await sessions.put(session({ idHash: 'x', createdAt: 30 }));
    await sessions.put(session({ idHash: 'y', createdAt: 10 }));
    await sessions.put(session({ idHash: 'z', username: 'bob', createdAt: 20 }));
    expect((await sessions.listByUsername('john')).map((s) => s.idHash)).toEqual(['y', 'x']);
    expect(await sessions.listByUsername('ann')).toEqual([]);
  });

  it('shares sessions between two instances on one database', async () => {
    const store = await db.store();
    const a = await store.open();
    const b = await store.open();
    await a.sessions.put(session());
    expect(await b.sessions.get('h1')).toEqual(session());
    expect(await b.sessions.deleteByUsername('john')).toHaveLength(1);
    expect(await a.sessions.get('h1')).toBeUndefined();
  });
});
