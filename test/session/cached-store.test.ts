import { describe, expect, it } from 'vitest';
import { CachedSessionStore } from '../../src/session/cached-store.js';
import { anonymousState } from '../../src/session/session.js';
import { StorageSessionStore } from '../../src/session/store.js';
import { ManualClock } from '../../src/shared/clock.js';
import { memoryStorage } from '../helpers/storage.js';

function setup() {
  const clock = new ManualClock();
  const inner = new StorageSessionStore(memoryStorage(clock).sessions);
  const cached = new CachedSessionStore(inner, { clock, ttlMs: 2000, maxEntries: 3 });
  const state = { ...anonymousState('example.com', clock.now()), username: 'john' };
  return { clock, inner, cached, state };
}

describe('CachedSessionStore', () => {
  it('serves reads from memory within the TTL, then asks the store again', async () => {
    const { clock, inner, cached, state } = setup();
    await cached.set('h1', state, clock.now() + 60_000);
    await inner.delete('h1'); // another instance logged the user out
    expect((await cached.get('h1'))?.username).toBe('john');
    clock.advance(2000);
    expect(await cached.get('h1')).toBeUndefined();
  });

  it('is write-through: delete, deleteUser and set are visible at once', async () => {
    const { clock, cached, state } = setup();
    await cached.set('h1', state, clock.now() + 60_000);
    await cached.set('h2', state, clock.now() + 60_000);
    await cached.delete('h1');
    expect(await cached.get('h1')).toBeUndefined();
    expect((await cached.deleteUser('john')).map((d) => d.idHash)).toEqual(['h2']);
    expect(await cached.get('h2')).toBeUndefined();
    await cached.set('h3', { ...state, level: 2 }, clock.now() + 60_000);
    expect((await cached.get('h3'))?.level).toBe(2);
  });

  it('hands every reader its own copy, and stays bounded', async () => {
    const { clock, inner, cached, state } = setup();
    await cached.set('h1', state, clock.now() + 60_000);
    const first = await cached.get('h1');
    first!.groups.push('admins');
    expect((await cached.get('h1'))?.groups).toEqual([]);
    for (const key of ['h2', 'h3', 'h4']) await cached.set(key, state, clock.now() + 60_000);
    await inner.delete('h1');
    expect(await cached.get('h1')).toBeUndefined(); // evicted, so the store's answer counts
  });
});
