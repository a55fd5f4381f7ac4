import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { Identity } from '../auth/users/user.js';
import { identityHeaders } from '../authz/identity-headers.js';
import type { RequestView } from '../shared/http/request-view.js';

/** Hop-by-hop fields (RFC 9110 §7.6.1, plus the legacy ones) that never cross the proxy. */
const hopByHop = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'upgrade', 'proxy-authorization', 'proxy-authenticate', 'expect']);
/** Never removed even when the client names them in `Connection` (that would reopen request smuggling). */
const framing = new Set(['content-length', 'transfer-encoding', 'host']);

/**
 * Method overrides: frameworks (Rails, Laravel, Express's method-override, Spring's
 * HiddenHttpMethodFilter for headers) let these replace the method, while the rules judged the
 * request's real one; they never reach an upstream.
 */
const methodOverrides = new Set(['x-http-method-override', 'x-http-method', 'x-method-override']);

/**
 * The client-controlled headers that a proxy must own: identity (`Remote-*`, in any case and with
 * `_` for `-`, which WSGI/PHP upstreams fold together), forwarding (`X-Forwarded-*`, `Forwarded`,
 * `X-Real-IP`), method overrides, and URL rewrites (`X-Original-*`, `X-Rewrite-URL`: IIS,
 * Symfony before CVE-2018-14773 and Zend route on them instead of the path the rules judged).
 */
function isOwned(name: string): boolean {
  const n = name.includes('_') ? name.replace(/_/g, '-') : name;
  return (
    n.startsWith('remote-') ||
    n.startsWith('x-forwarded-') ||
    n.startsWith('x-original-') ||
    n === 'x-rewrite-url' ||
    n === 'forwarded' ||
    n === 'x-real-ip' ||
    methodOverrides.has(n)
  );
}

/**
 * Rewrites `req.headers` in place for the upstream: hop-by-hop fields and those listed in
 * `Connection` removed (framing fields kept); `Host` in canonical form (replaced by the target's
 * when `preserve_host` is off); client `Remote-*` / forwarding / method-override headers removed and
 * set by us (`X-Forwarded-For` is the client address only, never appended to the client's
 * value); client URL-rewrite headers removed; the session cookie removed from `Cookie`. With
 * `upgrade`, `Connection: upgrade` and `Upgrade` are kept for the WebSocket handshake.
 */
export function prepareUpstreamHeaders(
  req: IncomingMessage,
  view: RequestView,
  identity: Identity | undefined,
  options: { readonly sessionCookies: readonly string[]; readonly upgrade?: boolean },
): void {
  const headers: IncomingHttpHeaders = req.headers;
  const listed = connectionTokens(headers.connection);
  const upgrade = options.upgrade ? headers.upgrade : undefined;
  for (const name of Object.keys(headers)) {
    if (hopByHop.has(name) || isOwned(name) || (listed.includes(name) && !framing.has(name))) delete headers[name];
  }
  // The host the rules judged, in canonical form: an upstream routing on `Host` (a second proxy,
  // a virtual host) sees that one host, not a spelling it may read differently (`App.Example.com.`).
  if (view.host !== undefined) {
    headers.host = view.host.host;
    headers['x-forwarded-host'] = view.host.host;
  }
  headers['x-forwarded-for'] = view.ip;
  headers['x-forwarded-proto'] = view.proto;
  headers['x-real-ip'] = view.ip;
  if (identity) Object.assign(headers, identityHeaders(identity));
  if (headers.cookie !== undefined) {
    const kept = headers.cookie.split(';').filter((pair) => !options.sessionCookies.includes(pair.split('=')[0]?.trim() ?? ''));
    if (kept.length === 0) delete headers.cookie;
    else headers.cookie = kept.join(';').trim();
  }
  if (upgrade !== undefined) {
    headers.connection = 'upgrade';
    headers.upgrade = upgrade;
  }
}

/** Removes hop-by-hop fields from an upstream response before it is copied to the client. */
export function cleanResponseHeaders(headers: IncomingHttpHeaders, keepAlive: boolean): void {
  const listed = connectionTokens(headers.connection);
  for (const name of Object.keys(headers)) {
    if ((hopByHop.has(name) && name !== 'trailer') || (listed.includes(name) && !framing.has(name))) delete headers[name];
  }
  headers.connection = keepAlive ? 'keep-alive' : 'close';
}

const noTokens: readonly string[] = [];

/** The field names a `Connection` header lists (lower case); none for `keep-alive`/`close` alone or no header. */
function connectionTokens(value: string | undefined): readonly string[] {
  if (value === undefined || value === 'keep-alive' || value === 'close') return noTokens;
  return value.split(',').map((t) => t.trim().toLowerCase());
}
