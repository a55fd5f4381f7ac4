/**
 * `ForwardAuth` (`GET|HEAD /api/authz/forward-auth` by default) — Traefik `ForwardAuth`, Caddy `forward_auth`.
 *
 * Enforces:
 * - forwarded headers are read only from a peer in `server.trusted_proxies` (else 400);
 * - target = `X-Forwarded-Proto` (default: this listener's scheme) `://` `X-Forwarded-Host`
 *   `X-Forwarded-URI` (default `/`); method = `X-Forwarded-Method` (required, upper-case);
 *   each read once (the host and proto by the listener, shared/http/request-view.ts) — missing,
 *   repeated or garbled → 400 naming the header in the log;
 * - client IP = `X-Forwarded-For` walked back over trusted hops (proxy-addr), for `networks`;
 * - credentials as the endpoint's strategies read them (authz/strategies.ts; by default
 *   `Authorization: Basic` or `Bearer`, then the session cookie);
 * - `authelia_url` / `portal_url` query overrides the portal, only within the cookie domain;
 * - answers per authz/respond.ts: 200 + `Remote-*`, 302/303/401 to log in, 403, 400.
 */
import { requestUrl } from '../shared/request-url.js';
import { type QueryReader, portalOverride, requiredHost } from './endpoint.js';

export const forwardAuth: QueryReader = ({ headers, view, params }, credentials) => {
  const host = requiredHost('X-Forwarded-Host', view.forwardedHost);
  return {
    url: requestUrl(view.proto, host, headers.uri('X-Forwarded-URI', '/')),
    method: headers.method('X-Forwarded-Method'),
    ip: view.ip,
    ...credentials,
    portalUrl: portalOverride(params),
  };
};
