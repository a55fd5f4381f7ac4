import { Type } from 'typebox';
import type { FrontChannelPort } from '../../oidc/logout/front-channel.js';
import { logout, logoutEverywhere } from '../actions/logout.js';
import { notAuthenticated } from '../actions/messages.js';
import { preferredMethodOf, secondFactorsOf } from '../actions/settings.js';
import type { PortalDeps } from '../deps.js';
import { authenticatedPage, logoutPage } from '../html/pages.js';
import { portalRequest, userOf } from '../request-context.js';
import { type Handler, type PageHandler, chrome, own, ko, sendPage } from './common.js';
import { sendSignedOut } from './end-session.js';

/** `GET /api/state` (Authelia-compatible): who is signed in and how far. */
export function stateGET(deps: PortalDeps): Handler {
  return async (request, reply) => {
    const ctx = await portalRequest(deps, request);
    const state = userOf(ctx.session);
    if (state && ctx.session) await deps.sessions.touch(ctx.cookie, ctx.session);
    return reply.send({
      status: 'OK',
      data: {
        username: state?.username ?? '',
        authentication_level: state?.level ?? 0,
        default_redirection_url: ctx.cookie.defaultRedirectionUrl?.href ?? '',
      },
    });
  };
}

/**
 * `GET /api/user/info`: the signed-in user's profile and second factors, as Authelia's. `method`
 * is the preferred second factor: the user's choice while they have it, else the first they have,
 * else the first this server offers (`totp` when none is).
 */
export function userInfoGET(deps: PortalDeps): Handler {
  return async (request, reply) => {
    const ctx = await portalRequest(deps, request);
    const state = userOf(ctx.session);
    if (!state) return ko(reply, 401, notAuthenticated);
    const factors = await secondFactorsOf(deps, state.username);
    const offered = deps.totp || !deps.webauthn ? 'totp' : 'webauthn';
    return reply.send({
      status: 'OK',
      data: {
        username: state.username,
        display_name: state.displayName,
        emails: state.emails,
        groups: state.groups,
        method: (await preferredMethodOf(deps, state.username, factors.methods)) ?? offered,
        has_totp: factors.totp,
        has_webauthn: factors.credentials.length > 0,
        has_duo: false,
      },
    });
  };
}

export const logoutBodySchema = Type.Object({ targetURL: Type.Optional(Type.String({ maxLength: 8192 })) });

/** The sign-out form: `rd` (what the handler reads), and `targetURL` as the API refuses it. */
export const logoutFormSchema = Type.Object({
  ...logoutBodySchema.properties,
  rd: Type.Optional(Type.String({ maxLength: 8192 })),
});

/** `POST /api/logout` (Authelia-compatible). */
export function logoutPOST(deps: PortalDeps): Handler<{ body: typeof logoutBodySchema }> {
  return async (request, reply) => {
    const { targetURL } = request.body;
    const ctx = await portalRequest(deps, request);
    const target = await logout(deps, ctx, targetURL);
    void reply.header('set-cookie', deps.sessions.clearCookie(ctx.cookie));
    return reply.send({ status: 'OK', data: { safeTargetURL: target !== undefined } });
  };
}

/**
 * `POST /logout`: the sign-out form; on to a safe `rd`, else the signed-out page. With
 * `frontChannel` (an OpenID Connect provider), the session's clients that take front-channel
 * logouts are found first and loaded by the signed-out page (end-session.ts `sendSignedOut`).
 */
export function logoutFormPOST(deps: PortalDeps, frontChannel?: FrontChannelPort): Handler<{ body: typeof logoutFormSchema }> {
  return async (request, reply) => {
    const { rd } = request.body;
    const ctx = await portalRequest(deps, request);
    const frames = (await frontChannel?.framesOf(userOf(ctx.session)?.sid)) ?? [];
    const target = await logout(deps, ctx, rd);
    void reply.header('set-cookie', deps.sessions.clearCookie(ctx.cookie));
    return sendSignedOut(deps, request, reply, frames, target?.href);
  };
}

/** `GET /logout`: asks before signing out (a GET must not change state). */
export function logoutPageGET(deps: PortalDeps): PageHandler {
  return async (request, reply) => {
    const { rd } = request.query;
    const ctx = await portalRequest(deps, request);
    return sendPage(reply, 200, logoutPage(chrome(deps), { signedIn: userOf(ctx.session) !== undefined, rd }));
  };
}

/** `GET /authenticated`: the "you are signed in" page. */
export function authenticatedPageGET(deps: PortalDeps): PageHandler {
  return async (request, reply) => {
    const ctx = await portalRequest(deps, request);
    const state = userOf(ctx.session);
    if (!state || !ctx.session) return reply.status(302).header('location', own(deps, '/')).send();
    await deps.sessions.touch(ctx.cookie, ctx.session);
    return sendPage(
      reply,
      200,
      authenticatedPage(chrome(deps), {
        displayName: state.displayName || state.username,
        username: state.username,
        level: state.level,
        connectedApps: deps.connectedApps,
      }),
    );
  };
}

/** `POST /api/logout/everywhere`: ends every session of the signed-in user; `data.sessions` says how many. */
export function logoutEverywherePOST(deps: PortalDeps): Handler {
  return async (request, reply) => {
    const ctx = await portalRequest(deps, request);
    const ended = await logoutEverywhere(deps, ctx);
    if (ended === undefined) return ko(reply, 401, notAuthenticated);
    void reply.header('set-cookie', deps.sessions.clearCookie(ctx.cookie));
    return reply.send({ status: 'OK', data: { sessions: ended } });
  };
}

/**
 * `POST /logout/everywhere`: the signed-in page's "Sign out everywhere" form; on to the
 * signed-out page, which loads this browser's front-channel logouts as `POST /logout` does
 * (the other sessions' apps are told over the back channel).
 */
export function logoutEverywhereFormPOST(deps: PortalDeps, frontChannel?: FrontChannelPort): Handler {
  return async (request, reply) => {
    const ctx = await portalRequest(deps, request);
    const frames = (await frontChannel?.framesOf(userOf(ctx.session)?.sid)) ?? [];
    await logoutEverywhere(deps, ctx);
    void reply.header('set-cookie', deps.sessions.clearCookie(ctx.cookie));
    return sendSignedOut(deps, request, reply, frames, undefined);
  };
}
