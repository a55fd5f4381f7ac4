import type { Redis } from 'ioredis';
import type { SessionRedisConfig } from '../config/session-redis.js';
import type { Clock } from '../shared/clock.js';
import type { Random } from '../shared/random.js';
import { type RedisLogger, connectRedis } from './redis-connection.js';
import { RedisSessionChanges } from './redis-changes.js';
import { RedisSessionStore } from './redis-store.js';

/** Sessions in Redis: the store, its change feed (when asked for), and what closes them. */
export interface RedisSessions {
  readonly store: RedisSessionStore;
  /** Absent when opened without `changes` (a CLI process that caches nothing). */
  readonly changes: RedisSessionChanges | undefined;
  /** The command connection (tests and health checks read its status). */
  readonly client: Redis;
  close(): Promise<void>;
}

export interface RedisSessionsOptions {
  readonly secret: string;
  readonly clock: Clock;
  readonly random: Random;
  readonly logger: RedisLogger & { error(details: object, message: string): void };
  /** Subscribe to changes made by other processes (a gateway caching sessions does). */
  readonly changes: boolean;
  /** Key and channel prefix (tests give each run its own). */
  readonly prefix?: string;
}

/**
 * Connects to `session.redis` — a command connection and, with `changes`, a subscriber —
 * and waits until both are ready and subscribed.
 * @throws StartupError `GH_SESSION_REDIS` naming the address and the keys to check.
 */
export async function openRedisSessions(config: SessionRedisConfig, options: RedisSessionsOptions): Promise<RedisSessions> {
  const { logger } = options;
  const client = await connectRedis(config, 'commands', logger);
  const store = new RedisSessionStore({
    client,
    secret: options.secret,
    clock: options.clock,
    random: options.random,
    ...(options.prefix === undefined ? {} : { prefix: options.prefix }),
    onError: (error) => logger.error({ err: error }, 'Redis refused a session command'),
  });
  let subscriber: Redis | undefined;
  let changes: RedisSessionChanges | undefined;
  try {
    if (options.changes) {
      subscriber = await connectRedis(config, 'invalidations', logger, { autoResubscribe: false, connectionName: 'gatehouse-invalidations' });
      changes = new RedisSessionChanges({ subscriber, commands: client, channel: store.channel, origin: store.origin });
      await changes.start();
    }
  } catch (error) {
    subscriber?.disconnect();
    client.disconnect();
    throw error;
  }
  const close = async () => {
    await Promise.all([client, subscriber].map((c) => c?.quit().catch(() => c.disconnect())));
  };
  return { store, changes, client, close };
}
