import type { Logger } from 'pino';
import type { Config } from '../config/config.js';
import { CachedSessionStore } from '../session/cached-store.js';
import { StorageSessionStore, type SessionStore } from '../session/store.js';
import type { Clock } from '../shared/clock.js';
import type { StoreHealth } from '../shared/store-health.js';
import type { Random } from '../shared/random.js';
import type { Storage } from '../storage/storage.js';

/** The session store a process uses, and what closes it. */
export interface OpenedSessionStore {
  readonly store: SessionStore;
  /** For the start-up line: `redis 127.0.0.1:6379` or the storage provider. */
  readonly describe: string;
  /** Redis's reachability, for `/api/health`; absent when sessions are in the storage (its own health covers them). */
  readonly health?: StoreHealth | undefined;
  close(): Promise<void>;
}

/**
 * The configured session store: Redis with `session.redis`, else the storage's `sessions`
 * table. With `cache` (the gateway; `session.cache_size` entries at most, 0 for none), behind
 * the in-process cache of session/cached-store.ts —
 * fed by Redis's change messages, or bounded by its 2 s lifetime on SQLite. Without (the CLI),
 * every read goes to the store, and its writes still reach running gateways.
 * @throws StartupError `GH_SESSION_REDIS` when Redis cannot be reached.
 */
export async function openSessionStore(
  config: Config,
  deps: { storage: Storage; clock: Clock; random: Random; logger: Logger; cache: boolean },
): Promise<OpenedSessionStore> {
  const { clock } = deps;
  // session.cache_size: 0 turns the cache off (every check reads the store).
  const cache = deps.cache && config.session.cacheSize > 0;
  const maxEntries = config.session.cacheSize;
  const redis = config.session.redis;
  if (!redis) {
    const store = new StorageSessionStore(deps.storage.sessions);
    return { store: cache ? new CachedSessionStore(store, { clock, maxEntries }) : store, describe: deps.storage.provider, close: async () => undefined };
  }
  // Loaded only when configured: ioredis is megabytes of code a process without Redis never runs.
  const [{ openRedisSessions }, { redisAddress }] = await Promise.all([import('../session/redis-sessions.js'), import('../session/redis-connection.js')]);
  // session.secret is required with session.redis (config/session.ts).
  const opened = await openRedisSessions(redis, { secret: config.session.secret ?? '', clock, random: deps.random, logger: deps.logger, changes: cache });
  const store = cache ? new CachedSessionStore(opened.store, { clock, maxEntries, changes: opened.changes }) : opened.store;
  if (deps.cache) deps.logger.info({ redis: redisAddress(redis) }, 'sessions are kept in Redis');
  return { store, describe: `redis ${redisAddress(redis)}`, health: opened.store.health, close: () => opened.close() };
}
