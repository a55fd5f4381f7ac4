import type { Clock } from '../shared/clock.js';
import { deepFreeze } from '../shared/deep-freeze.js';
import type { DeletedSession } from '../storage/storage.js';
import type { SessionState } from './session.js';
import type { SessionChanges } from './session-changes.js';
import type { SessionStore } from './store.js';

/**
 * How long a cached session is served before the store is asked again. Without a change feed
 * (SQLite shared with the CLI) it is the bound on seeing a change made by another process;
 * with one (Redis) it is the fall-back bound should a change message be lost while the
 * subscription still looks healthy.
 */
export const sessionCacheTtl = 2_000;

export interface CachedSessionStoreOptions {
  readonly clock: Clock;
  /** How long a read is served from memory before the store is asked again (default 2 s). */
  readonly ttlMs?: number;
  /** Most sessions kept in memory; the oldest entry is dropped beyond it (default 10,000). */
  readonly maxEntries?: number;
  /** Changes other processes make to the store (Redis pub/sub); see the class comment. */
  readonly changes?: SessionChanges | undefined;
}

interface Entry {
  /** The state as JSON, so every reader gets its own copy to change. */
  readonly json: string;
  readonly username: string;
  readonly freshUntil: number;
  /** The state parsed once and frozen, for readers that change nothing (`peek`). */
  frozen?: Readonly<SessionState>;
}

/** A store read in flight; `stale` once something changed the session meanwhile (its answer is then not cached). */
interface Read {
  stale: boolean;
}

/**
 * A short-lived, write-through, in-process cache in front of a session store, for the
 * forward-auth hot path (a SQLite read costs ~18 µs, a Redis round trip ~100 µs or more, a Map
 * lookup ~0.5 µs).
 *
 * - Writes and deletes go to the store first, then update or drop the cached entry, so what
 *   this process did is visible to it at once (logout, regenerate at login, touch).
 * - Without `changes`, a change made by another process sharing the store (the CLI on the same
 *   SQLite file) is seen after at most `ttlMs`.
 * - With `changes` (Redis: every write publishes the hashes it changed), an entry another
 *   instance changed or deleted is dropped as soon as the message arrives — a logout,
 *   revocation, step-up or user change elsewhere is honoured within the pub/sub delivery time
 *   and, should a message be lost, `ttlMs` (plus one store round trip) after it was made at the
 *   latest. While the feed is not `live` (subscription
 *   or connection lost) nothing is served from memory: every read goes to the store (which
 *   answers or fails closed), and the cache is emptied when the feed comes back.
 * - A read that a change overtook while it was in flight is returned but not cached.
 * - Misses (unknown IDs) are not cached, and the cache never extends a session: the manager
 *   still checks expiry on every load.
 */
export class CachedSessionStore implements SessionStore {
  readonly #inner: SessionStore;
  readonly #clock: Clock;
  readonly #ttl: number;
  readonly #max: number;
  readonly #changes: SessionChanges | undefined;
  readonly #entries = new Map<string, Entry>();
  readonly #reads = new Map<string, Set<Read>>();

  constructor(inner: SessionStore, options: CachedSessionStoreOptions) {
    this.#inner = inner;
    this.#clock = options.clock;
    this.#ttl = options.ttlMs ?? sessionCacheTtl;
    this.#max = options.maxEntries ?? 10_000;
    if (!(this.#max >= 1)) throw new RangeError(`CachedSessionStore: maxEntries must be at least 1 (is ${this.#max})`);
    this.#changes = options.changes;
    this.#changes?.listen({
      changed: (idHashes) => {
        for (const idHash of idHashes) this.#forget(idHash);
      },
      reset: () => {
        this.#entries.clear();
        for (const reads of this.#reads.values()) for (const read of reads) read.stale = true;
      },
    });
  }

  /** Sessions held in memory now (never more than `maxEntries`). */
  get size(): number {
    return this.#entries.size;
  }

  /** Whether entries may be served: always without a change feed, only while it is live with one. */
  get #serving(): boolean {
    return this.#changes?.live ?? true;
  }

  /** The entry's state, shared and frozen, while it may be served (no copy: forward-auth's hot path). */
  peek(idHash: string): Readonly<SessionState> | undefined {
    const entry = this.#entries.get(idHash);
    if (entry === undefined || entry.freshUntil <= this.#clock.now() || !this.#serving) return undefined;
    entry.frozen ??= deepFreeze(JSON.parse(entry.json) as SessionState) as Readonly<SessionState>;
    return entry.frozen;
  }

  async get(idHash: string): Promise<SessionState | undefined> {
    const entry = this.#entries.get(idHash);
    if (entry !== undefined && entry.freshUntil > this.#clock.now() && this.#serving) return JSON.parse(entry.json) as SessionState;
    const read: Read = { stale: false };
    const reads = this.#reads.get(idHash) ?? new Set<Read>();
    this.#reads.set(idHash, reads.add(read));
    let state: SessionState | undefined;
    try {
      state = await this.#inner.get(idHash);
    } finally {
      reads.delete(read);
      if (reads.size === 0 && this.#reads.get(idHash) === reads) this.#reads.delete(idHash);
    }
    if (state === undefined || read.stale || !this.#serving) this.#entries.delete(idHash);
    else this.#remember(idHash, state);
    return state;
  }

  async set(idHash: string, state: SessionState, expiresAt: number): Promise<void> {
    this.#forget(idHash);
    await this.#inner.set(idHash, state, expiresAt);
    this.#forget(idHash); // reads that started during the write may hold the old state
    this.#remember(idHash, state);
  }

  async delete(idHash: string): Promise<void> {
    this.#forget(idHash);
    await this.#inner.delete(idHash);
    this.#forget(idHash);
  }

  async deleteUser(username: string): Promise<DeletedSession[]> {
    for (const [key, entry] of this.#entries) if (entry.username === username) this.#forget(key);
    const deleted = await this.#inner.deleteUser(username);
    for (const { idHash } of deleted) this.#forget(idHash);
    return deleted;
  }

  async purgeExpired(now: number): Promise<DeletedSession[]> {
    // Expired entries are refused by the manager on load; only the store needs purging.
    const purged = await this.#inner.purgeExpired(now);
    for (const { idHash } of purged) this.#forget(idHash);
    return purged;
  }

  listUser(username: string): ReturnType<SessionStore['listUser']> {
    return this.#inner.listUser(username);
  }

  /** Drops the entry, and marks reads of it in flight as overtaken. */
  #forget(idHash: string): void {
    this.#entries.delete(idHash);
    for (const read of this.#reads.get(idHash) ?? []) read.stale = true;
  }

  #remember(idHash: string, state: SessionState): void {
    this.#entries.delete(idHash);
    if (this.#entries.size >= this.#max) {
      const oldest = this.#entries.keys().next();
      if (!oldest.done) this.#entries.delete(oldest.value);
    }
    this.#entries.set(idHash, { json: JSON.stringify(state), username: state.username, freshUntil: this.#clock.now() + this.#ttl });
  }
}
