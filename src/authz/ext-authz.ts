/**
 * `ExtAuthz` (`ANY /api/authz/ext-authz[/…]` by default) — Envoy `ext_authz` (HTTP service,
 * `path_prefix: /api/authz/ext-authz/`).
 *
 * Enforces:
 * - the request is read only from a peer in `server.trusted_proxies` (else 400);
 * - target = `X-Forwarded-Proto` (default: this listener's scheme) `://` `Host` + the path after
 *   the endpoint's own path; method = this request's method; garbled → 400 naming the header;
 * - client IP = `X-Forwarded-For` walked back over trusted hops (proxy-addr);
 * - credentials as the endpoint's strategies read them (authz/strategies.ts; by default
 *   `Authorization: Basic` or `Bearer`, then the session cookie);
 * - `X-Authelia-URL` / `X-Portal-URL` header overrides the portal, only within the cookie domain;
 * - answers per authz/respond.ts.
 */
import { requestUrl } from '../shared/request-url.js';
import { type QueryReader, requiredHost } from './endpoint.js';

/** The reader of an `ExtAuthz` endpoint answering at `prefix` (e.g. `/api/authz/ext-authz`) and below. */
export function extAuthz(prefix: string): QueryReader {
  const header = `(path after ${prefix})`;
  return ({ method, target, headers, view }, credentials) => {
    const host = requiredHost('Host', view.host);
    const rest = target.slice(prefix.length);
    const uri = headers.uri(header, rest === '' || rest.startsWith('?') ? `/${rest}` : rest);
    return {
      url: requestUrl(view.proto, host, uri),
      method,
      ip: view.ip,
      ...credentials,
      portalUrl: headers.optional('X-Portal-URL') ?? headers.optional('X-Authelia-URL'),
    };
  };
}
