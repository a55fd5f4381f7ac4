import type { FastifyReply, FastifyRequest } from 'fastify';
import type { SessionCookieConfig } from '../config/session.js';
import { allowsPlainHttp, originOf } from '../shared/authority.js';
import { requestViewOf } from '../shared/http/request-view.js';
import type { Session } from '../session/session.js';
import { GatehouseError } from '../shared/errors.js';
import type { PortalDeps } from './deps.js';

/** The portal's view of one request: which cookie domain it is under and its session, if any. */
export interface PortalRequest {
  readonly cookie: SessionCookieConfig;
  readonly session: Session | undefined;
  /** `https://auth.example.com` as the browser sees it (after trusted proxies). */
  readonly origin: string;
  /** The portal's root URL: `origin` followed by `server.path` (`https://example.com/auth`); own absolute URLs start with it. */
  readonly root: string;
  /** The client's IP (after trusted proxies): what an elevation is bound to (actions/elevation.ts). */
  readonly ip: string;
}

/** The portal is served on a host outside every cookie domain. */
export class UnknownHostError extends GatehouseError {
  constructor(host: string) {
    super('GH_PORTAL_HOST', `This host (${host}) is not under any configured session cookie domain.`, {
      status: 400,
      expose: true,
    });
  }
}

/** The portal of an https cookie domain was reached over plain http. */
export class PlainHttpError extends GatehouseError {
  constructor(domain: string) {
    super(
      'GH_PORTAL_PLAIN_HTTP',
      `This sign-in portal (cookie domain ${domain}) is served over https only, but this request arrived over plain http. ` +
        'Behind a TLS-terminating proxy, have it send X-Forwarded-Proto and list it in server.trusted_proxies.',
      { status: 400, expose: true },
    );
  }
}

/**
 * Resolves the cookie domain from the request's authority (parsed once by the listener:
 * shared/http/request-view.ts) and loads the session from its cookie.
 * @throws UnknownHostError when the host is under no cookie domain.
 * @throws PlainHttpError when the request came over plain http for a cookie domain that needs
 * https (all but `.localhost`): a password must not be typed into, nor a session cookie flow
 * through, a page the browser reached unencrypted.
 */
export async function portalRequest(deps: PortalDeps, request: FastifyRequest): Promise<PortalRequest> {
  const view = requestViewOf(request.raw);
  const authority = view.authority;
  const cookie = authority && deps.sessions.cookieFor(authority.hostname);
  if (!cookie) throw new UnknownHostError(authority?.host ?? '(no Host header)');
  if (view.proto === 'http' && !allowsPlainHttp(cookie.domain)) throw new PlainHttpError(cookie.domain);
  const session = await deps.sessions.load(cookie, request.cookies[cookie.name]);
  const origin = originOf(view.proto, authority);
  return { cookie, session, origin, root: `${origin}${deps.basePath}`, ip: view.ip };
}

/** Saves `session` and hands its cookie to the browser. */
export async function commitSession(deps: PortalDeps, reply: FastifyReply, cookie: SessionCookieConfig, session: Session) {
  await deps.sessions.save(cookie, session);
  void reply.header('set-cookie', deps.sessions.setCookie(cookie, session));
}

/** The signed-in user of a session, or undefined for anonymous ones. */
export function userOf(session: Session | undefined) {
  return session && session.state.username !== '' ? session.state : undefined;
}
