import { describe, expect, it } from 'vitest';
import { CachedSessionStore } from '../../src/session/cached-store.js';
import { anonymousState } from '../../src/session/session.js';
import type { SessionChangeListener, SessionChanges } from '../../src/session/session-changes.js';
import { type SessionStore, StorageSessionStore } from '../../src/session/store.js';
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
    for (let i = 0; i < 1_000; i++) {
      await cached.set(`flood${i}`, state, clock.now() + 60_000);
      await cached.get(`flood${i}`);
      expect(cached.size).toBeLessThanOrEqual(3);
    }
  });
});

/** A change feed the test drives by hand. */
class HandFeed implements SessionChanges {
  live = true;
  readonly #listeners = new Set<SessionChangeListener>();
  listen(listener: SessionChangeListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
  changed(...hashes: string[]): void {
    for (const l of this.#listeners) l.changed(hashes);
  }
  reset(): void {
    for (const l of this.#listeners) l.reset();
  }
}

describe('CachedSessionStore with a change feed', () => {
  function fed() {
    const world = setup();
    const feed = new HandFeed();
    const cached = new CachedSessionStore(world.inner, { clock: world.clock, changes: feed });
    return { ...world, feed, cached };
  }

  it('drops the entries the feed names, and empties itself when the feed restarts', async () => {
    const { clock, inner, cached, feed, state } = fed();
    await cached.set('h1', state, clock.now() + 60_000);
    await cached.set('h2', state, clock.now() + 60_000);
    await inner.delete('h1');
    await inner.delete('h2');
    expect((await cached.get('h1'))?.username).toBe('john'); // served from memory
    feed.changed('h1');
    expect(await cached.get('h1')).toBeUndefined();
    expect((await cached.get('h2'))?.username).toBe('john');
    feed.reset();
    expect(await cached.get('h2')).toBeUndefined();
  });

  it('serves nothing from memory while the feed is down', async () => {
    const { clock, inner, cached, feed, state } = fed();
    await cached.set('h1', state, clock.now() + 60_000);
    feed.live = false;
    await inner.set('h1', { ...state, level: 2 }, clock.now() + 60_000);
    expect((await cached.get('h1'))?.level).toBe(2);
    await inner.delete('h1');
    expect(await cached.get('h1')).toBeUndefined();
  });

  it('returns a read that a change overtook, but does not cache it', async () => {
    const { clock, inner, feed, state } = fed();
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const slow: SessionStore = Object.assign(Object.create(inner) as SessionStore, {
      get: async (idHash: string) => {
        const read = await inner.get(idHash);
        await gate;
        return read;
      },
    });
    const cached = new CachedSessionStore(slow, { clock, changes: feed });
    await inner.set('h1', state, clock.now() + 60_000);
    const reading = cached.get('h1');
    await inner.delete('h1');
    feed.changed('h1'); // the logout's message arrives while the read is in flight
    release();
    expect((await reading)?.username).toBe('john');
    expect(await cached.get('h1')).toBeUndefined();
  });
});
