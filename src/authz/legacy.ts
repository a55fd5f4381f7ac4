/**
 * `Legacy` (`ANY /api/verify`, the endpoint named `legacy`) — Authelia's legacy endpoint, kept
 * for existing proxy configurations.
 *
 * Enforces:
 * - the request is read only from a peer in `server.trusted_proxies`;
 * - target = `X-Original-URL`, else `X-Forwarded-Proto` (default: listener) `://`
 *   `X-Forwarded-Host` (default `Host`) `X-Forwarded-URI` (default `/`); method =
 *   `X-Forwarded-Method`, else this request's method;
 * - credentials as the endpoint's strategies read them (authz/strategies.ts; by default
 *   `HeaderLegacy`: with `?auth=basic`, `Authorization: Basic` is required, absent → 401 with
 *   `WWW-Authenticate`; otherwise `Proxy-Authorization: Basic` when sent, else an
 *   `Authorization: Bearer` access token; then the session cookie);
 * - the portal comes only from the `rd` query or the `X-Authelia-URL` header (never from the
 *   cookie configuration): without one, "log in" is a plain 401;
 * - every malformed request is 401 (not 400), as Authelia's legacy endpoint answers.
 */
import { requestUrl } from '../shared/request-url.js';
import { type QueryReader, requiredHost } from './endpoint.js';

export const legacyVerify: QueryReader = ({ method: own, headers, view, params }, credentials) => {
  const original = headers.optional('X-Original-URL');
  const url =
    original !== undefined
      ? headers.url('X-Original-URL')
      : requestUrl(view.proto, requiredHost(view.forwardedHost ? 'X-Forwarded-Host' : 'Host', view.authority), headers.uri('X-Forwarded-URI', '/'));
  const method = headers.optional('X-Forwarded-Method') !== undefined ? headers.method('X-Forwarded-Method') : own;
  return {
    url,
    method,
    ip: view.ip,
    ...credentials,
    portalUrl: params.rd ?? headers.optional('X-Authelia-URL'),
    portalFromCookie: false,
  };
};
