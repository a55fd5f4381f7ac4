import { isAbsolute } from 'node:path';
import { defaults } from './defaults.js';
import { keyPath } from './problems.js';
import { type ReadContext, readBoolean, readDuration, readInteger, readList, readMapping, readSecret, readString } from './reader.js';
import { type TlsClientConfig, readTlsClient } from './tls-client.js';

/** A Redis Sentinel node. */
export interface RedisNode {
  readonly host: string;
  readonly port: number;
}

/** `session.redis.high_availability`: Redis Sentinel. */
export interface SessionRedisSentinelConfig {
  /** The master's name in the Sentinel configuration (not a host name). */
  readonly sentinelName: string;
  readonly sentinelUsername: string | undefined;
  readonly sentinelPassword: string | undefined;
  /** The Sentinels asked for the master: `session.redis.host` (when set) first, then `nodes`. */
  readonly nodes: readonly RedisNode[];
  /** Accepted for Authelia compatibility; no effect (sessions are read from the master only). */
  readonly routeByLatency: boolean;
  /** Accepted for Authelia compatibility; no effect (sessions are read from the master only). */
  readonly routeRandomly: boolean;
}

/** `session.redis`: where sessions live when several instances share them. Authelia's keys. */
export interface SessionRedisConfig {
  /** Host name or IP address (IPv6 without brackets), or, with `socket`, an absolute unix socket path. */
  readonly host: string | undefined;
  /** Whether `host` is a unix socket path. */
  readonly socket: boolean;
  readonly port: number;
  /** Milliseconds allowed to connect, and for each command's answer. */
  readonly timeout: number;
  /** Times a command is retried over a new connection before it fails. */
  readonly maxRetries: number;
  readonly username: string | undefined;
  readonly password: string | undefined;
  readonly databaseIndex: number;
  /** The most connections opened; Gatehouse opens two (commands, pipelined; invalidation messages). */
  readonly maximumActiveConnections: number;
  readonly minimumIdleConnections: number;
  readonly tls: TlsClientConfig | undefined;
  readonly highAvailability: SessionRedisSentinelConfig | undefined;
}

const keys = [
  'host',
  'port',
  'timeout',
  'max_retries',
  'username',
  'password',
  'database_index',
  'maximum_active_connections',
  'minimum_idle_connections',
  'tls',
  'high_availability',
] as const;

/**
 * Reads `session.redis` (undefined when absent). As Authelia: `host` is required unless
 * `high_availability.nodes` lists Sentinels; an absolute path is a unix socket; the port
 * defaults to 6379, or 26379 (a Sentinel's) with `high_availability`.
 */
export function readSessionRedis(ctx: ReadContext, path: string, value: unknown): SessionRedisConfig | undefined {
  if (value === undefined || value === null) return undefined;
  const raw = readMapping(ctx, path, value, keys);
  if (!raw) return undefined;
  const d = defaults.session.redis;
  const ha = raw.high_availability === undefined || raw.high_availability === null ? undefined : raw.high_availability;
  const hostAt = keyPath(path, 'host');
  const written = readString(ctx, hostAt, raw.host, { required: ha === undefined });
  const socket = written !== undefined && isAbsolute(written);
  const host = written === undefined || socket ? written : readHost(ctx, hostAt, written);
  if (socket && ha !== undefined) ctx.problems.error(hostAt, `must be a Sentinel's host name with high_availability, not a unix socket, but is '${written}'`);
  const port = readInteger(ctx, keyPath(path, 'port'), raw.port, ha === undefined ? d.port : d.sentinelPort, { min: 1, max: 65_535 });
  const maxAt = keyPath(path, 'maximum_active_connections');
  const maximumActiveConnections = readInteger(ctx, maxAt, raw.maximum_active_connections, d.maximumActiveConnections, { min: 2 });
  const minimumIdleConnections = readInteger(ctx, keyPath(path, 'minimum_idle_connections'), raw.minimum_idle_connections, 0, { min: 0 });
  if (minimumIdleConnections > maximumActiveConnections) {
    ctx.problems.error(
      keyPath(path, 'minimum_idle_connections'),
      `must not be above maximum_active_connections (${maximumActiveConnections}) but is ${minimumIdleConnections}`,
    );
  }
  const sentinels = written === undefined ? undefined : { host, port };
  const highAvailability = ha === undefined ? undefined : readSentinel(ctx, keyPath(path, 'high_availability'), ha, sentinels);
  return {
    host,
    socket,
    port,
    timeout: readDuration(ctx, keyPath(path, 'timeout'), raw.timeout, d.timeout, { min: 1000 }),
    maxRetries: readInteger(ctx, keyPath(path, 'max_retries'), raw.max_retries, d.maxRetries, { min: 0 }),
    username: readString(ctx, keyPath(path, 'username'), raw.username),
    password: readSecret(ctx, keyPath(path, 'password'), raw.password),
    databaseIndex: readInteger(ctx, keyPath(path, 'database_index'), raw.database_index, 0, { min: 0 }),
    maximumActiveConnections,
    minimumIdleConnections,
    tls: readTlsClient(ctx, keyPath(path, 'tls'), raw.tls, socket ? undefined : host),
    highAvailability,
  };
}

/** `host` is session.redis.host and port, when written (its host undefined when it was refused). */
function readSentinel(
  ctx: ReadContext,
  path: string,
  value: unknown,
  host: { host: string | undefined; port: number } | undefined,
): SessionRedisSentinelConfig | undefined {
  const raw = readMapping(ctx, path, value, ['sentinel_name', 'sentinel_username', 'sentinel_password', 'nodes', 'route_by_latency', 'route_randomly']);
  if (!raw) return undefined;
  const sentinelName = readString(ctx, keyPath(path, 'sentinel_name'), raw.sentinel_name, { required: true });
  const sentinelUsername = readString(ctx, keyPath(path, 'sentinel_username'), raw.sentinel_username);
  const passwordAt = keyPath(path, 'sentinel_password');
  const sentinelPassword = readSecret(ctx, passwordAt, raw.sentinel_password);
  if (sentinelUsername !== undefined && sentinelPassword === undefined) {
    ctx.problems.error(passwordAt, 'must be set when sentinel_username is set but is absent');
  }
  const listed = readList(ctx, keyPath(path, 'nodes'), raw.nodes, (entry, at) => readNode(ctx, at, entry));
  if (host === undefined && !(Array.isArray(raw.nodes) && raw.nodes.length > 0)) {
    ctx.problems.error(keyPath(path, 'nodes'), 'must list at least one Sentinel when session.redis.host is absent but is empty');
  }
  const routing = { routeByLatency: 'route_by_latency', routeRandomly: 'route_randomly' } as const;
  const flags = { routeByLatency: false, routeRandomly: false };
  for (const [field, key] of Object.entries(routing) as [keyof typeof routing, string][]) {
    flags[field] = readBoolean(ctx, keyPath(path, key), raw[key], false);
    if (flags[field]) {
      ctx.problems.warn(keyPath(path, key), "has no effect: Gatehouse reads sessions from the master only (a replica's lag could let a revoked session pass)");
    }
  }
  if (sentinelName === undefined || sentinelName.trim() === '') return undefined;
  return {
    sentinelName,
    sentinelUsername,
    sentinelPassword,
    nodes: [...(host?.host === undefined ? [] : [{ host: host.host, port: host.port }]), ...listed],
    ...flags,
  };
}

function readNode(ctx: ReadContext, path: string, value: unknown): RedisNode | undefined {
  const raw = readMapping(ctx, path, value, ['host', 'port']);
  if (!raw) return undefined;
  const written = readString(ctx, keyPath(path, 'host'), raw.host, { required: true });
  const port = readInteger(ctx, keyPath(path, 'port'), raw.port, defaults.session.redis.sentinelPort, { min: 1, max: 65_535 });
  const host = written === undefined ? undefined : readHost(ctx, keyPath(path, 'host'), written);
  return host === undefined ? undefined : { host, port };
}

/** A host name or IP address; an IPv6 literal is written in brackets, as Authelia asks, and returned without. */
function readHost(ctx: ReadContext, path: string, text: string): string | undefined {
  const host = text.trim();
  if (/^\[[0-9a-fA-F:.]+\]$/.test(host)) return host.slice(1, -1);
  if (/^[A-Za-z0-9._-]+$/.test(host)) return host;
  ctx.problems.error(path, `must be a host name, an IP address ('[…]' around IPv6) or an absolute unix socket path but is '${text}'`);
  return undefined;
}
