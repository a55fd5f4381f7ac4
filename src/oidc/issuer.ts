import type { FastifyRequest } from 'fastify';
import { allowsPlainHttp } from '../config/session.js';
import type { SessionManager } from '../session/manager.js';
import { InvalidRequest } from './errors.js';

/**
 * The issuer for a request: the origin the client used (after trusted proxies' `X-Forwarded-*`),
 * which must be under a configured cookie domain and use https (plain http only under
 * `.localhost`). No trailing slash, no path (OIDC Discovery §3; RFC 8414 §2).
 * @throws InvalidRequest for a host outside every cookie domain or plain http elsewhere.
 */
export function issuerOf(sessions: SessionManager, request: FastifyRequest): string {
  const cookie = sessions.cookieFor(request.hostname);
  if (!cookie) throw new InvalidRequest(`The host '${request.hostname}' is not under a configured session cookie domain.`);
  if (request.protocol !== 'https' && !allowsPlainHttp(cookie.domain)) {
    throw new InvalidRequest('The OpenID Connect provider is only served over https (check X-Forwarded-Proto and server.trusted_proxies).');
  }
  return `${request.protocol}://${request.host}`;
}
