import { existsSync } from 'node:fs';
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';
import { defaults } from './defaults.js';
import { keyPath } from './problems.js';
import { type ReadContext, readBoolean, readDuration, readInteger, readList, readMapping, readPath, readString } from './reader.js';
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
  /**
   * The path Gatehouse's own pages, API and OpenID Connect provider are served under: `''` (the
   * root) or `/auth` (one segment, from the path of `server.address` or `server.path`).
   */
  readonly path: string;
  /** `server.buffers`, in bytes (see {@link ServerBuffers}). */
  readonly buffers: ServerBuffers;
  /** `server.headers.csp_template`: the portal's Content-Security-Policy, `${NONCE}` replaced per answer; undefined: the built-in policy. */
  readonly cspTemplate: string | undefined;
  /** `server.disable_healthcheck`: accepted for Authelia files; Gatehouse writes no healthcheck file, so it changes nothing. */
  readonly disableHealthcheck: boolean;
}

/** `server.buffers`: Authelia's fasthttp buffer sizes, mapped onto Node's HTTP server. */
export interface ServerBuffers {
  /** The largest request head (request line and headers) accepted: Node's `maxHeaderSize`; a larger one is answered 431. */
  readonly read: number;
  /** Accepted and ignored: Node's answers are not bounded by a write buffer (a warning when set to another value than Authelia's 4096). */
  readonly write: number;
}

/** Defaults of the keys read here that Authelia and Node disagree on. */
const bufferDefaults = {
  /** Node's own `maxHeaderSize` (16 KiB), not Authelia's 4096: session, CSRF and app cookies forwarded by a proxy often exceed 4 KiB. */
  read: 16_384,
  /** Authelia's default. */
  write: 4096,
} as const;

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
  const raw =
    readMapping(ctx, path, value, [
      'address',
      'path',
      'trusted_proxies',
      'tls',
      'timeouts',
      'max_connections',
      'password_hashing',
      'endpoints',
      'buffers',
      'headers',
      'disable_healthcheck',
    ]) ?? {};
  const addressText = readString(ctx, keyPath(path, 'address'), raw.address) ?? defaults.server.address;
  const parsed = parseServerAddress(addressText);
  if (typeof parsed === 'string') ctx.problems.error(keyPath(path, 'address'), parsed);
  const address = typeof parsed === 'string' ? undefined : parsed.address;
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
    path: readBasePath(ctx, path, raw.path, typeof parsed === 'string' ? '' : parsed.path),
    buffers: readBuffers(ctx, keyPath(path, 'buffers'), raw.buffers),
    cspTemplate: readCspTemplate(ctx, keyPath(path, 'headers'), raw.headers),
    disableHealthcheck: readBoolean(ctx, keyPath(path, 'disable_healthcheck'), raw.disable_healthcheck, false),
  };
}

/** The forms named when an address cannot be read (a path may follow: `tcp://:9091/auth`, `unix:///run/g.sock?path=auth`). */
const addressForms = "'tcp://HOST:PORT', 'tcp://:PORT' or 'unix:///PATH'";

/**
 * `server.address` split into where to listen and the path to serve under (Authelia's
 * `RouterPath`): the URL path for `tcp://`, the `path` query parameter for `unix://`. The path is
 * one alphanumeric segment, as Authelia requires (a trailing `/` is allowed here). Returns the
 * message when the address is malformed.
 */
export function parseServerAddress(text: string): { address: ListenAddress; path: string } | string {
  const malformed = `must be ${addressForms} but is '${text}'`;
  if (text.startsWith('unix://')) {
    const [socket = '', query] = text.split('?', 2) as [string, string | undefined];
    const address = parseListenAddress(socket);
    if (!address) return malformed;
    if (query === undefined) return { address, path: '' };
    const params = new URLSearchParams(query);
    const unknown = [...params.keys()].find((name) => name !== 'path');
    if (unknown !== undefined) return `has the query parameter '${unknown}', which Gatehouse does not support (only 'path' is read) in '${text}'`;
    const segment = params.get('path') ?? '';
    return withPath(address, segment === '' ? '' : `/${segment}`, text);
  }
  const match = /^(tcp:\/\/[^/?#]*)(\/[^?#]*)?$/.exec(text);
  const address = match && parseListenAddress(match[1] ?? '');
  if (!match || !address) return malformed;
  return withPath(address, match[2] ?? '', text);
}

function withPath(address: ListenAddress, raw: string, text: string): { address: ListenAddress; path: string } | string {
  const path = raw.endsWith('/') ? raw.slice(0, -1) : raw;
  const problem = basePathProblem(path);
  return problem === undefined ? { address, path } : `${problem} in '${text}'`;
}

/** Why `path` (`''` or `/segment`) cannot be served under, or undefined. */
function basePathProblem(path: string): string | undefined {
  if (path === '') return undefined;
  const segment = path.slice(1);
  if (segment.includes('/')) return `must have a path of one segment (such as '/${segment.split('/')[0]}') but has '${path}'`;
  if (!/^[A-Za-z0-9]+$/.test(segment)) return `must have a path of letters and digits only but has '${path}'`;
  return undefined;
}

/**
 * The path to serve under: from `server.address`, or `server.path` (Authelia before 4.38: one
 * alphanumeric segment, without slashes). Both set: they must name the same path.
 */
function readBasePath(ctx: ReadContext, parent: string, value: unknown, fromAddress: string): string {
  const at = keyPath(parent, 'path');
  const text = readString(ctx, at, value);
  if (text === undefined || text === '') return fromAddress;
  if (text.includes('/')) {
    ctx.problems.error(at, `must be one path segment without '/' (such as 'auth') but is '${text}'`);
    return fromAddress;
  }
  if (!/^[A-Za-z0-9]+$/.test(text)) {
    ctx.problems.error(at, `must be letters and digits only but is '${text}'`);
    return fromAddress;
  }
  const path = `/${text}`;
  if (fromAddress !== '' && fromAddress !== path) {
    ctx.problems.error(at, `is '${text}' but server.address serves under '${fromAddress}'; set the path in one place (server.address, as Authelia 4.38 does)`);
  }
  return path;
}

/** `server.buffers.read` (largest request head, bytes) and `.write` (accepted; no Node equivalent). */
function readBuffers(ctx: ReadContext, path: string, value: unknown): ServerBuffers {
  const raw = readMapping(ctx, path, value, ['read', 'write']) ?? {};
  const read = readInteger(ctx, keyPath(path, 'read'), raw.read, bufferDefaults.read, { min: 1024, max: 1_048_576 });
  const write = readInteger(ctx, keyPath(path, 'write'), raw.write, bufferDefaults.write, { min: 1 });
  if (write !== bufferDefaults.write) {
    ctx.problems.warn(keyPath(path, 'write'), 'has no Node.js equivalent (answers are not bounded by a write buffer), so it is ignored');
  }
  return { read, write };
}

/** `server.headers.csp_template`: one header line (no control characters); empty means the built-in policy, as in Authelia. */
function readCspTemplate(ctx: ReadContext, path: string, value: unknown): string | undefined {
  const raw = readMapping(ctx, path, value, ['csp_template']) ?? {};
  const at = keyPath(path, 'csp_template');
  const text = readString(ctx, at, raw.csp_template);
  if (text === undefined || text.trim() === '') return undefined;
  if (/[\u0000-\u001f\u007f]/.test(text)) {
    ctx.problems.error(at, 'must be one line without control characters (it is sent as the Content-Security-Policy header)');
    return undefined;
  }
  return text.trim();
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
