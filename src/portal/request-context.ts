import type { FastifyReply, FastifyRequest } from 'fastify';
import type { SessionCookieConfig } from '../config/session.js';
import type { Session } from '../session/session.js';
import { GatehouseError } from '../shared/errors.js';
import type { PortalDeps } from './deps.js';

/** The portal's view of one request: which cookie domain it is under and its session, if any. */
export interface PortalRequest {
  readonly cookie: SessionCookieConfig;
  readonly session: Session | undefined;
  /** `https://auth.example.com` as the browser sees it (after trusted proxies). */
  readonly origin: string;
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

/**
 * Resolves the cookie domain from the request host and loads the session from its cookie.
 * @throws UnknownHostError when the host is under no cookie domain.
 */
export async function portalRequest(deps: PortalDeps, request: FastifyRequest): Promise<PortalRequest> {
  const host = request.hostname;
  const cookie = deps.sessions.cookieFor(host);
  if (!cookie) throw new UnknownHostError(host);
  const session = await deps.sessions.load(cookie, request.cookies[cookie.name]);
  return { cookie, session, origin: `${request.protocol}://${request.host}` };
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
