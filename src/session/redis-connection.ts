import type { ConnectionOptions } from 'node:tls';
import { Redis, type RedisOptions } from 'ioredis';
import type { SessionRedisConfig } from '../config/session-redis.js';
import type { TlsClientConfig } from '../config/tls-client.js';
import { StartupError } from '../shared/errors.js';

/** What the connections log (a pino logger fits): losses and recoveries, never secrets. */
export interface RedisLogger {
  info(details: object, message: string): void;
  warn(details: object, message: string): void;
}

/** Longest wait between two reconnection attempts: Gatehouse serves again at most this long after Redis is back. */
export const redisReconnectCap = 2_000;

/**
 * ioredis options for `session.redis`. Commands fail at once while the connection is down
 * (no offline queue: a request is refused with 503 rather than held) and wait at most
 * `timeout` for an answer; reconnection is retried forever, every 200 ms more up to 2 s.
 */
export function redisOptions(config: SessionRedisConfig): RedisOptions {
  const tls = config.tls && tlsOptions(config.tls);
  const common: RedisOptions = {
    username: config.username,
    password: config.password,
    db: config.databaseIndex,
    connectTimeout: config.timeout,
    commandTimeout: config.timeout,
    maxRetriesPerRequest: config.maxRetries,
    enableOfflineQueue: false,
    lazyConnect: true,
    retryStrategy: (attempt) => Math.min(attempt * 200, redisReconnectCap),
    connectionName: 'gatehouse',
    ...(tls ? { tls } : {}),
  };
  const ha = config.highAvailability;
  if (ha) {
    return {
      ...common,
      name: ha.sentinelName,
      role: 'master',
      sentinels: ha.nodes.map((n) => ({ host: n.host, port: n.port })),
      sentinelUsername: ha.sentinelUsername,
      sentinelPassword: ha.sentinelPassword,
      sentinelRetryStrategy: (attempt) => Math.min(attempt * 200, redisReconnectCap),
      failoverDetector: true,
      ...(tls ? { enableTLSForSentinelMode: true, sentinelTLS: tls } : {}),
    };
  }
  return config.socket ? { ...common, path: config.host } : { ...common, host: config.host, port: config.port };
}

function tlsOptions(tls: TlsClientConfig): ConnectionOptions {
  return {
    servername: tls.serverName,
    rejectUnauthorized: !tls.skipVerify,
    minVersion: tls.minimumVersion,
    maxVersion: tls.maximumVersion,
    ...(tls.certificateChain !== undefined && tls.privateKey !== undefined ? { cert: tls.certificateChain, key: tls.privateKey } : {}),
    ...(tls.ca ? { ca: [...tls.ca] } : {}),
  };
}

/** Where the configuration points, for messages: `127.0.0.1:6379`, `unix:/run/redis.sock`, or the Sentinels. */
export function redisAddress(config: SessionRedisConfig): string {
  const ha = config.highAvailability;
  if (ha) return `master '${ha.sentinelName}' through the Sentinels ${ha.nodes.map((n) => `${bracket(n.host)}:${n.port}`).join(', ')}`;
  return config.socket ? `unix:${config.host}` : `${bracket(config.host ?? '')}:${config.port}`;
}

function bracket(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

/**
 * Opens one connection and waits until it is ready; afterwards, logs each loss and recovery
 * once (`role` names the connection). Failure to connect closes it and throws.
 * @throws StartupError `GH_SESSION_REDIS` naming the address and the keys to check.
 */
export async function connectRedis(config: SessionRedisConfig, role: string, logger: RedisLogger, options: Partial<RedisOptions> = {}): Promise<Redis> {
  const client = new Redis({ ...redisOptions(config), ...options });
  let last: Error | undefined;
  const remember = (error: Error) => {
    last = error;
  };
  client.on('error', remember);
  // A Sentinel that does not know the master is retried forever: give the start twice the timeout.
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${2 * config.timeout} ms`)), 2 * config.timeout);
  });
  const connecting = client.connect();
  connecting.catch(() => undefined);
  try {
    await Promise.race([connecting, deadline]);
  } catch (error) {
    client.disconnect();
    throw connectError(config, last ?? (error as Error));
  } finally {
    clearTimeout(timer);
  }
  client.off('error', remember);
  watch(client, role, redisAddress(config), logger);
  return client;
}

function watch(client: Redis, role: string, address: string, logger: RedisLogger): void {
  let lost = false;
  client.on('error', (error: Error) => {
    if (lost) return;
    lost = true;
    logger.warn({ redis: address, connection: role, err: error.message }, 'lost the connection to Redis; sessions are refused (503) until it is back');
  });
  client.on('close', () => {
    if (client.status === 'end' || lost) return;
    lost = true;
    logger.warn({ redis: address, connection: role }, 'lost the connection to Redis; sessions are refused (503) until it is back');
  });
  client.on('ready', () => {
    if (!lost) return;
    lost = false;
    logger.info({ redis: address, connection: role }, 'connected to Redis again');
  });
}

function connectError(config: SessionRedisConfig, error: Error): StartupError {
  const text = error.message;
  const keys = /WRONGPASS|NOAUTH|NOPERM|invalid password|invalid username/i.test(text)
    ? 'session.redis.username and session.redis.password'
    : /certificate|TLS|SSL|handshake/i.test(text)
      ? 'session.redis.tls'
      : config.tls && /ECONNRESET|socket hang up/i.test(text)
        ? 'session.redis.tls (does Redis want a client certificate?) and session.redis.host/port'
        : /DB index|invalid DB/i.test(text)
          ? 'session.redis.database_index'
          : config.highAvailability
            ? 'session.redis.high_availability (sentinel_name, nodes) and session.redis.host/port'
            : config.socket
              ? 'session.redis.host (the socket path)'
              : 'session.redis.host and session.redis.port';
  return new StartupError('GH_SESSION_REDIS', `session.redis: cannot use Redis at ${redisAddress(config)}: ${text} (check ${keys})`, error);
}
