/**
 * `AuthRequest` (`GET|HEAD /api/authz/auth-request` by default) — nginx `auth_request` (and Skipper; HAProxy uses forward-auth, examples/haproxy/).
 *
 * Enforces:
 * - forwarded headers are read only from a peer in `server.trusted_proxies` (else 400);
 * - target = `X-Original-URL` (absolute http(s) URL, required, no spaces, control characters
 *   or backslashes: a malformed URL fails closed, CVE-2021-32637; its host parsed by
 *   shared/authority.ts, userinfo refused); method = `X-Original-Method`
 *   (required); missing, repeated or garbled → 400 naming the header in the log;
 * - client IP = `X-Forwarded-For` walked back over trusted hops (proxy-addr), for `networks`;
 * - credentials as the endpoint's strategies read them (authz/strategies.ts; by default
 *   `Authorization: Basic` or `Bearer`, then the session cookie);
 * - login needed → always 401 **with** `Location` (nginx: `error_page 401 =302 $redirection_url`);
 *   otherwise answers per authz/respond.ts.
 */
import { type QueryReader, portalOverride } from './endpoint.js';

export const authRequest: QueryReader = ({ headers, view, params }, credentials) => ({
  url: headers.url('X-Original-URL'),
  method: headers.method('X-Original-Method'),
  ip: view.ip,
  ...credentials,
  portalUrl: portalOverride(params),
});
