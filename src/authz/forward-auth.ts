/**
 * `GET|HEAD /api/authz/forward-auth` — Traefik `ForwardAuth`, Caddy `forward_auth`.
 *
 * Enforces:
 * - forwarded headers are read only from a peer in `server.trusted_proxies` (else 400);
 * - target = `X-Forwarded-Proto` (default: this listener's scheme) `://` `X-Forwarded-Host`
 *   `X-Forwarded-URI` (default `/`); method = `X-Forwarded-Method` (required, upper-case);
 *   each read once — missing, repeated or garbled → 400 naming the header in the log;
 * - client IP = `X-Forwarded-For` walked back over trusted hops (proxy-addr), for `networks`;
 * - `Authorization: Basic` (one factor, regulated) before the session cookie;
 * - `authelia_url` / `portal_url` query overrides the portal, only within the cookie domain;
 * - answers per authz/respond.ts: 200 + `Remote-*`, 302/303/401 to log in, 403, 400.
 */
import type { RouteHandlerMethod } from 'fastify';
import { parseBasic } from './basic-strategy.js';
import { type AuthzDeps, authzHandler, cookiesOf, portalOverride } from './endpoint.js';

export function forwardAuthGET(deps: AuthzDeps): RouteHandlerMethod {
  return authzHandler(deps, 'forward-auth', (request, headers) => {
    const proto = headers.proto('X-Forwarded-Proto', listenerScheme(request.raw.socket));
    const host = headers.host('X-Forwarded-Host');
    const uri = headers.uri('X-Forwarded-URI', '/');
    return {
      url: `${proto}://${host}${uri}`,
      method: headers.method('X-Forwarded-Method'),
      ip: request.ip,
      cookie: cookiesOf(request),
      basic: parseBasic(headers.optional('Authorization')),
      portalUrl: portalOverride(request),
    };
  });
}

/** `https` when this listener terminates TLS, else `http`. */
export function listenerScheme(socket: unknown): string {
  return (socket as { encrypted?: boolean } | undefined)?.encrypted ? 'https' : 'http';
}
