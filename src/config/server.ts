import { existsSync } from 'node:fs';
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';
import { defaults } from './defaults.js';
import { keyPath } from './problems.js';
import { type ReadContext, readDuration, readInteger, readList, readMapping, readPath, readString } from './reader.js';
import { type ServerEndpointsConfig, readServerEndpoints } from './server-endpoints.js';

export type ListenAddress = { readonly kind: 'tcp'; readonly host: string; readonly port: number } | { readonly kind: 'unix'; readonly path: string };

export interface ServerConfig {
  readonly address: ListenAddress;
  /** CIDRs whose `X-Forwarded-*` / `X-Original-*` headers are believed. */
  readonly trustedProxies: readonly string[];
  readonly tls: { readonly key: string; readonly certificate: string } | undefined;
  /** Authelia's `server.timeouts`, in milliseconds (see docs/forward-auth-and-proxy.md for what each bounds). */
  readonly timeouts: ServerTimeouts;
  /** Most connections one listener holds open at once; more are closed as they arrive. */
  readonly maxConnections: number;
  /** Password hashes at once, and attempts that may wait for a turn (auth/password/hash-limiter.ts). */
  readonly passwordHashing: { readonly concurrency: number; readonly queue: number };
  /** `server.endpoints`: authorization endpoints and rate limits (server-endpoints.ts). */
  readonly endpoints: ServerEndpointsConfig;
}

export interface ServerTimeouts {
  /** Receiving a request: its headers, and the body of a request to Gatehouse itself. */
  readonly read: number;
  /** Writing Gatehouse's own answer: the connection may stall this long before it is closed. */
  readonly write: number;
  /** A keep-alive connection may wait this long for its next request. */
  readonly idle: number;
}

/** Reads `server`. */
export function readServer(ctx: ReadContext, value: unknown): ServerConfig {
  const path = 'server';
  const raw = readMapping(ctx, path, value, ['address', 'trusted_proxies', 'tls', 'timeouts', 'max_connections', 'password_hashing', 'endpoints']) ?? {};
  const addressText = readString(ctx, keyPath(path, 'address'), raw.address) ?? defaults.server.address;
  const address = parseListenAddress(addressText);
  if (!address) {
    ctx.problems.error(keyPath(path, 'address'), `must be 'tcp://HOST:PORT', 'tcp://:PORT' or 'unix:///PATH' but is '${addressText}'`);
  }
  const trustedProxies =
    raw.trusted_proxies === undefined
      ? [...defaults.server.trustedProxies]
      : readList(ctx, keyPath(path, 'trusted_proxies'), raw.trusted_proxies, (entry, at) => readCidr(ctx, at, entry));
  return {
    address: address ?? { kind: 'tcp', host: '', port: defaults.server.port },
    trustedProxies,
    tls: readTls(ctx, keyPath(path, 'tls'), raw.tls),
    timeouts: readTimeouts(ctx, keyPath(path, 'timeouts'), raw.timeouts),
    maxConnections: readInteger(ctx, keyPath(path, 'max_connections'), raw.max_connections, defaults.server.maxConnections, { min: 1 }),
    passwordHashing: readPasswordHashingLimits(ctx, keyPath(path, 'password_hashing'), raw.password_hashing),
    endpoints: readServerEndpoints(ctx, keyPath(path, 'endpoints'), raw.endpoints),
  };
}

/** `server.password_hashing`: `concurrency` (default: cores − 1, at least 1) and `queue`. */
function readPasswordHashingLimits(ctx: ReadContext, path: string, value: unknown): ServerConfig['passwordHashing'] {
  const raw = readMapping(ctx, path, value, ['concurrency', 'queue']) ?? {};
  const fallback = defaults.server.passwordHashing;
  return {
    concurrency: readInteger(ctx, keyPath(path, 'concurrency'), raw.concurrency, fallback.concurrency(), { min: 1, max: 1024 }),
    queue: readInteger(ctx, keyPath(path, 'queue'), raw.queue, fallback.queue, { min: 0, max: 100_000 }),
  };
}

function readTimeouts(ctx: ReadContext, path: string, value: unknown): ServerTimeouts {
  const raw = readMapping(ctx, path, value, ['read', 'write', 'idle']) ?? {};
  const fallback = defaults.server.timeouts;
  return {
    read: readDuration(ctx, keyPath(path, 'read'), raw.read, fallback.read, { min: 1000 }),
    write: readDuration(ctx, keyPath(path, 'write'), raw.write, fallback.write, { min: 1000 }),
    idle: readDuration(ctx, keyPath(path, 'idle'), raw.idle, fallback.idle, { min: 1000 }),
  };
}

/** Parses `tcp://host:port`, `tcp://:port`, `tcp://[::1]:port` or `unix:///path`. */
export function parseListenAddress(text: string): ListenAddress | undefined {
  if (text.startsWith('unix://')) {
    const path = text.slice('unix://'.length);
    return path.startsWith('/') ? { kind: 'unix', path } : undefined;
  }
  const match = /^tcp:\/\/(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]*)(?::(\d{1,5}))?\/?$/.exec(text);
  if (!match) return undefined;
  const host = (match[1] ?? '').replace(/^\[|\]$/g, '');
  const port = match[2] === undefined ? defaults.server.port : Number(match[2]);
  if (port > 65535) return undefined;
  if (match[1]?.startsWith('[') && isIP(host) !== 6) return undefined;
  return { kind: 'tcp', host, port };
}

/** A CIDR (`10.0.0.0/8`, `fd00::/8`) or a single address, returned in CIDR form. */
export function readCidr(ctx: ReadContext, path: string, value: unknown): string | undefined {
  const text = readString(ctx, path, value, { required: true });
  if (text === undefined) return undefined;
  try {
    if (text.includes('/')) {
      const [addr, bits] = ipaddr.parseCIDR(text);
      return `${addr.toString()}/${bits}`;
    }
    const addr = ipaddr.parse(text);
    return `${addr.toString()}/${addr.kind() === 'ipv4' ? 32 : 128}`;
  } catch {
    ctx.problems.error(path, `must be an IP address or a CIDR such as '10.0.0.0/8' but is '${text}'`);
    return undefined;
  }
}

function readTls(ctx: ReadContext, path: string, value: unknown): ServerConfig['tls'] {
  if (value === undefined || value === null) return undefined;
  const raw = readMapping(ctx, path, value, ['key', 'certificate']);
  if (!raw) return undefined;
  const key = readPath(ctx, keyPath(path, 'key'), raw.key, { required: true });
  const certificate = readPath(ctx, keyPath(path, 'certificate'), raw.certificate, { required: true });
  for (const [name, file] of [
    ['key', key],
    ['certificate', certificate],
  ] as const) {
    if (file !== undefined && !existsSync(file)) {
      ctx.problems.error(keyPath(path, name), `must name an existing file but '${file}' does not exist`);
    }
  }
  return key && certificate ? { key, certificate } : undefined;
}
