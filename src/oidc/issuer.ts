import type { FastifyRequest } from 'fastify';
import type { SessionCookieConfig } from '../config/session.js';
import type { SessionManager } from '../session/manager.js';
import { allowsPlainHttp, originOf } from '../shared/authority.js';
import { requestViewOf } from '../shared/http/request-view.js';
import { InvalidRequest } from './errors.js';

/** The issuer a request is answered under, and the cookie domain it belongs to. */
export interface IssuerContext {
  /** `https://auth.example.com`, or `https://example.com/auth` under `server.path`: no trailing slash (OIDC Discovery §3; RFC 8414 §2). */
  readonly issuer: string;
  readonly cookie: SessionCookieConfig;
}

/**
 * The issuer for a request: the origin the client used — its authority as parsed once by the
 * listener (shared/http/request-view.ts, after trusted proxies' `X-Forwarded-*`) — followed by
 * `server.path` (`basePath`, shared/base-path.ts), as Authelia's issuer is. The origin must be
 * the origin of the `portal_url` of the cookie domain it is under, and use https (plain http
 * only under `.localhost`). Any other spelling of the host (another port, another subdomain) is
 * refused rather than echoed: a cache in front keyed without the host would otherwise hand one
 * client's discovery document, with its endpoints, to everyone.
 * @throws InvalidRequest for a host outside every cookie domain, plain http elsewhere, or an
 * origin that is not the configured portal's.
 */
export function issuerOf(sessions: SessionManager, request: FastifyRequest, basePath: string): IssuerContext {
  const view = requestViewOf(request.raw);
  const authority = view.authority;
  const cookie = authority && sessions.cookieFor(authority.hostname);
  if (!cookie) throw new InvalidRequest(`The host '${authority?.host ?? ''}' is not under a configured session cookie domain.`);
  if (view.proto !== 'https' && !allowsPlainHttp(cookie.domain)) {
    throw new InvalidRequest('The OpenID Connect provider is only served over https (check X-Forwarded-Proto and server.trusted_proxies).');
  }
  const origin = originOf(view.proto, authority);
  const portal = cookie.portalUrl.origin;
  if (origin !== portal) throw new InvalidRequest(`The OpenID Connect provider of this domain is served at ${portal}, not at ${origin}.`);
  return { issuer: `${origin}${basePath}`, cookie };
}
