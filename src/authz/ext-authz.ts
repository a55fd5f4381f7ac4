/**
 * `ANY /api/authz/ext-authz/*` — Envoy `ext_authz` (HTTP service, `path_prefix: /api/authz/ext-authz/`).
 *
 * Enforces:
 * - the request is read only from a peer in `server.trusted_proxies` (else 400);
 * - target = `X-Forwarded-Proto` (default: this listener's scheme) `://` `Host` + the path after
 *   `/api/authz/ext-authz`; method = this request's method; garbled → 400 naming the header;
 * - client IP = `X-Forwarded-For` walked back over trusted hops (proxy-addr);
 * - `Authorization: Basic` (one factor, regulated) or `Authorization: Bearer` (an access token
 *   of the OpenID Connect provider, authz/bearer-strategy.ts) before the session cookie;
 * - `X-Authelia-URL` / `X-Portal-URL` header overrides the portal, only within the cookie domain;
 * - answers per authz/respond.ts.
 */
import { requestUrl } from '../shared/request-url.js';
import { credentials, type QueryReader, requiredHost } from './endpoint.js';

export const extAuthzPrefix = '/api/authz/ext-authz';

export const extAuthz: QueryReader = ({ method, target, headers, view, cookie }) => {
  const host = requiredHost('Host', view.host);
  const rest = target.slice(extAuthzPrefix.length);
  const uri = headers.uri('(path after /api/authz/ext-authz)', rest === '' || rest.startsWith('?') ? `/${rest}` : rest);
  return {
    url: requestUrl(view.proto, host, uri),
    method,
    ip: view.ip,
    cookie,
    ...credentials(headers.optional('Authorization')),
    portalUrl: headers.optional('X-Portal-URL') ?? headers.optional('X-Authelia-URL'),
  };
};
