import { canonicalHostname, isWithinDomain } from '../shared/authority.js';
import { defaults } from './defaults.js';
import { describe, keyPath } from './problems.js';
import { type ReadContext, readBoolean, readDuration, readList, readMapping, readString } from './reader.js';
import type { SessionCookieConfig } from './session.js';

/** One site the built-in reverse proxy fronts: requests for `domain` under `pathPrefix` go to `target`. */
export interface UpstreamConfig {
  /** Canonical host name (`canonicalHostname`: punycode, lower case, no trailing dot), as request hosts are compared. */
  readonly domain: string;
  /** Starts and ends with `/` (`/` matches every path). */
  readonly pathPrefix: string;
  /** The upstream's origin, e.g. `http://127.0.0.1:8080` (no path, query or credentials). */
  readonly target: URL;
  /** Send the client's `Host` to the upstream (true) or the target's host (false). */
  readonly preserveHost: boolean;
  /** Whether WebSocket upgrades are authorised and passed through. */
  readonly websocket: boolean;
  /** Milliseconds the upstream may stay silent before the client gets a 504. */
  readonly timeout: number;
}

export interface ProxyConfig {
  readonly upstreams: readonly UpstreamConfig[];
}

const upstreamKeys = ['domain', 'path_prefix', 'target', 'preserve_host', 'websocket', 'timeout'] as const;

/**
 * Reads `proxy`. Each upstream's domain must be under a session cookie domain (its users must be
 * able to log in) and must not be a portal's host (the portal is served there); a domain and
 * path prefix pair may appear once.
 */
export function readProxy(ctx: ReadContext, value: unknown, cookies: readonly SessionCookieConfig[]): ProxyConfig {
  const raw = readMapping(ctx, 'proxy', value, ['upstreams']) ?? {};
  const seen = new Map<string, string>();
  const upstreams = readList(ctx, 'proxy.upstreams', raw.upstreams, (entry, at) => {
    const upstream = readUpstream(ctx, at, entry, cookies);
    if (!upstream) return undefined;
    const key = `${upstream.domain}${upstream.pathPrefix}`;
    const earlier = seen.get(key);
    if (earlier !== undefined) {
      ctx.problems.error(keyPath(at, 'path_prefix'), `must not repeat the domain and path prefix of ${earlier} but is '${upstream.pathPrefix}'`);
      return undefined;
    }
    seen.set(key, at);
    return upstream;
  });
  return { upstreams };
}

function readUpstream(ctx: ReadContext, at: string, value: unknown, cookies: readonly SessionCookieConfig[]): UpstreamConfig | undefined {
  const raw = readMapping(ctx, at, value, upstreamKeys);
  if (!raw) return undefined;
  const domain = readDomain(ctx, keyPath(at, 'domain'), raw.domain, cookies);
  const pathPrefix = readPathPrefix(ctx, keyPath(at, 'path_prefix'), raw.path_prefix);
  const target = readTarget(ctx, keyPath(at, 'target'), raw.target);
  const preserveHost = readBoolean(ctx, keyPath(at, 'preserve_host'), raw.preserve_host, defaults.proxy.preserveHost);
  const websocket = readBoolean(ctx, keyPath(at, 'websocket'), raw.websocket, defaults.proxy.websocket);
  const timeout = readDuration(ctx, keyPath(at, 'timeout'), raw.timeout, defaults.proxy.timeout, { min: 1000 });
  if (domain === undefined || pathPrefix === undefined || target === undefined) return undefined;
  return { domain, pathPrefix, target, preserveHost, websocket, timeout };
}

function readDomain(ctx: ReadContext, path: string, value: unknown, cookies: readonly SessionCookieConfig[]): string | undefined {
  const text = readString(ctx, path, value, { required: true });
  if (text === undefined) return undefined;
  const domain = canonicalHostname(text.trim());
  if (typeof domain !== 'string') {
    ctx.problems.error(path, `must be a host name such as 'app.example.com' (no scheme, port or path) but is '${text}', which ${domain.reason}`);
    return undefined;
  }
  if (!cookies.some((c) => isWithinDomain(domain, c.domain))) {
    const names = cookies.map((c) => `'${c.domain}'`).join(', ') || 'none configured';
    ctx.problems.error(path, `must be under a session cookie domain (${names}) but is '${text}'`);
    return undefined;
  }
  const portal = cookies.find((c) => c.portalUrl.hostname === domain);
  if (portal) {
    ctx.problems.error(path, `must not be the portal's host (session cookie '${portal.domain}' portal_url) but is '${text}'`);
    return undefined;
  }
  return domain;
}

function readPathPrefix(ctx: ReadContext, path: string, value: unknown): string | undefined {
  if (value === undefined || value === null) return '/';
  const text = readString(ctx, path, value);
  if (text === undefined) return undefined;
  const segments = text.split('/').slice(1);
  const safe =
    text.startsWith('/') &&
    segments.every((s, i) => (s === '' ? i === segments.length - 1 : /^[A-Za-z0-9\-._~!$&'()*+,=:@]+$/.test(s) && s !== '.' && s !== '..'));
  if (!safe) {
    ctx.problems.error(path, `must be a path such as '/' or '/app/' (no '.', '..', '//', '%', '?' or '#') but is ${describe(value)}`);
    return undefined;
  }
  return text.endsWith('/') ? text : `${text}/`;
}

function readTarget(ctx: ReadContext, path: string, value: unknown): URL | undefined {
  const text = readString(ctx, path, value, { required: true });
  if (text === undefined) return undefined;
  let url: URL | undefined;
  try {
    url = new URL(text);
  } catch {
    url = undefined;
  }
  const origin =
    url !== undefined &&
    (url.protocol === 'http:' || url.protocol === 'https:') &&
    url.username === '' &&
    url.password === '' &&
    url.pathname === '/' &&
    url.search === '' &&
    url.hash === '';
  if (!origin) {
    ctx.problems.error(path, `must be an http or https origin such as 'http://127.0.0.1:8080' (no path, query or user name) but is '${text}'`);
    return undefined;
  }
  return url;
}
