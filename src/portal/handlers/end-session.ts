/**
 * RP-initiated logout as the browser meets it (OpenID RP-Initiated Logout 1.0; what a request
 * may do is decided in oidc/logout/end-session.ts):
 * - `GET|POST /api/oidc/end-session`: a refused request is the error page (the route's error
 *   handler) and ends nothing. Nobody signed in: straight on — unless the browser may have kept
 *   the cookie from a request from another site ({@link withheldCookie}). A request whose
 *   `id_token_hint` names this session and user: the session ends at once. Otherwise the
 *   confirmation page.
 * - `POST /api/oidc/end-session/confirm` (same origin only, like every portal form): the
 *   carried parameters are checked again, then the session ends.
 * Ending it: `destroy(session, 'rp-logout')` (grants revoked, back-channel logouts queued by the
 * listeners) and the cookie cleared; then on to the `post_logout_redirect_uri` with `state`, or
 * the signed-out page — first, when the session's clients take front-channel logouts, the
 * signed-out page with their iframes, continuing after 2 s ({@link sendSignedOut}).
 */
import type { FastifyReply, FastifyRequest, onSendHookHandler } from 'fastify';
import type { SessionCookieConfig } from '../../config/session.js';
import type { FrontChannelFrame } from '../../oidc/logout/front-channel.js';
import type { EndSessionParameters, EndSessionPort, LogoutRequest } from '../../oidc/logout/end-session.js';
import type { endSessionForm, endSessionParameters } from '../../oidc/schemas.js';
import type { PortalDeps } from '../deps.js';
import { endSessionConfirmPage, signedOutPage } from '../html/logout-pages.js';
import { type PortalRequest, portalRequest, userOf } from '../request-context.js';
import { widenForSignOut } from '../security-headers.js';
import { type Handler, chrome, own, sendPage } from './common.js';

/** How long the signed-out page leaves the front-channel iframes before continuing (seconds). */
export const frontChannelDelay = 2;

/** `GET`: the parameters from the query. */
export function endSessionGET(deps: PortalDeps, port: EndSessionPort): Handler<{ querystring: typeof endSessionParameters }> {
  return async (request, reply) => endSession(deps, port, request, reply, request.query);
}

/** `POST`: the parameters from the form body (§2: the RP may use either). */
export function endSessionPOST(deps: PortalDeps, port: EndSessionPort): Handler<{ body: typeof endSessionForm }> {
  return async (request, reply) => endSession(deps, port, request, reply, request.body ?? {});
}

async function endSession(deps: PortalDeps, port: EndSessionPort, request: FastifyRequest, reply: FastifyReply, params: EndSessionParameters) {
  const ctx = await portalRequest(deps, request);
  const logout = await port.check(params, `${ctx.cookie.portalUrl.origin}${deps.basePath}`);
  const user = userOf(ctx.session);
  const withheld = user ? undefined : withheldCookie(request, ctx.cookie.sameSite);
  if (withheld === 'lax')
    return reply
      .status(303)
      .header('location', own(deps, `${port.path}?${new URLSearchParams(definedOf(params))}`))
      .send();
  if (withheld === 'strict' || (user && !(await port.tiedTo(logout, user)))) {
    // The confirmation's redirect chain may end at the post_logout_redirect_uri (CSP form-action).
    policies.set(request, { frames: [], formTargets: logout.redirectOrigin ? [logout.redirectOrigin] : [] });
    return sendPage(reply, 200, endSessionConfirmPage(chrome(deps), { action: port.confirmPath, clientName: logout.clientName, fields: logout.confirmFields }));
  }
  return signOut(deps, port, request, reply, ctx, logout, 'id_token_hint');
}

/**
 * Whether a request that shows no session may have come without the session cookie because it
 * came from another site (`Sec-Fetch-Site: cross-site`) and the cookie's `SameSite` keeps it
 * from such requests: `lax` from a POST (the answer sends the browser to the same request as a
 * GET, a top-level navigation that carries it), `strict` from any (the confirmation page, whose
 * same-origin form carries it).
 */
function withheldCookie(request: FastifyRequest, sameSite: SessionCookieConfig['sameSite']): 'lax' | 'strict' | undefined {
  if (request.headers['sec-fetch-site'] !== 'cross-site') return undefined;
  if (sameSite === 'lax' && request.method === 'POST') return 'lax';
  return sameSite === 'strict' ? 'strict' : undefined;
}

/** The end-session parameters that were sent (unknown ones left out). */
function definedOf(params: EndSessionParameters): Record<string, string> {
  const names = ['id_token_hint', 'client_id', 'post_logout_redirect_uri', 'state', 'logout_hint', 'ui_locales'] as const;
  return Object.fromEntries(names.flatMap((name) => (params[name] === undefined ? [] : [[name, params[name]]])));
}

/** `POST /api/oidc/end-session/confirm`: the user confirmed; only the carried parameters are read. */
export function endSessionConfirmPOST(deps: PortalDeps, port: EndSessionPort): Handler<{ body: typeof endSessionParameters }> {
  return async (request, reply) => {
    const { client_id, post_logout_redirect_uri, state } = request.body;
    const ctx = await portalRequest(deps, request);
    const logout = await port.check({ client_id, post_logout_redirect_uri, state }, ctx.cookie.portalUrl.origin);
    return signOut(deps, port, request, reply, ctx, logout, 'confirmed');
  };
}

async function signOut(
  deps: PortalDeps,
  port: EndSessionPort,
  request: FastifyRequest,
  reply: FastifyReply,
  ctx: PortalRequest,
  logout: LogoutRequest,
  how: 'id_token_hint' | 'confirmed',
): Promise<FastifyReply> {
  const user = userOf(ctx.session);
  let frames: FrontChannelFrame[] = [];
  if (ctx.session && user) {
    // Before the end: ending the session revokes the grants the frames are read from.
    frames = await port.framesOf(user.sid);
    await deps.sessions.destroy(ctx.session, 'rp-logout');
    void reply.header('set-cookie', deps.sessions.clearCookie(ctx.cookie));
    deps.logger.info({ username: user.username, clientId: logout.clientId, how }, 'signed out at the request of an application (RP-initiated logout)');
    deps.observer.event({ event: 'logout', kind: 'rp_initiated', username: user.username, clientId: logout.clientId });
  }
  return sendSignedOut(deps, request, reply, frames, logout.redirect);
}

/**
 * The answer once a session has ended: without front-channel frames, 303 to `continueTo` or the
 * signed-out page; with them, the signed-out page itself (200: the session is gone, so the
 * frames cannot be found again after a redirect), which loads them and moves on to
 * `continueTo` after {@link frontChannelDelay} seconds (`Refresh`, and a Continue link).
 */
export function sendSignedOut(
  deps: PortalDeps,
  request: FastifyRequest,
  reply: FastifyReply,
  frames: readonly FrontChannelFrame[],
  continueTo: string | undefined,
): FastifyReply {
  if (frames.length === 0)
    return reply
      .status(303)
      .header('location', continueTo ?? own(deps, '/logout'))
      .send();
  policies.set(request, { frames: frames.map((f) => f.origin), formTargets: [] });
  deps.observer.event({ event: 'frontchannel_logout', clientIds: frames.map((f) => f.clientId) });
  if (continueTo) void reply.header('refresh', `${frontChannelDelay}; url=${continueTo}`);
  return sendPage(reply, 200, signedOutPage(chrome(deps), { frames, continueTo }));
}

/** What one sign-out answer's CSP must also allow, per request. */
const policies = new WeakMap<FastifyRequest, { frames: readonly string[]; formTargets: readonly string[] }>();

/**
 * Runs after the portal's headers on the sign-out routes: widens the CSP for this answer only —
 * `frame-src` for its front-channel iframes, `form-action` for its confirmation's redirect.
 */
export const signOutPolicy: onSendHookHandler = (request, reply, payload, done) => {
  const policy = policies.get(request);
  const csp = reply.getHeader('content-security-policy');
  if (policy && typeof csp === 'string') void reply.header('content-security-policy', widenForSignOut(csp, policy.frames, policy.formTargets));
  done(null, payload);
};
