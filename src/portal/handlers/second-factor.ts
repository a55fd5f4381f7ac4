import { Type } from 'typebox';
import { safeRedirect } from '../../session/safe-redirect.js';
import { authenticationFailed, notAuthenticated } from '../actions/messages.js';
import { isPasskeySession, secondFactorPassword, secondFactorTotp } from '../actions/second-factor.js';
import { relyingParty } from '../actions/webauthn.js';
import type { SessionState } from '../../session/session.js';
import type { PortalDeps } from '../deps.js';
import { type SecondFactorChoices, messagePage, secondFactorPage } from '../html/pages.js';
import { type PortalRequest, portalRequest, userOf } from '../request-context.js';
import { type Handler, type PageHandler, chrome, own, ko, meta, nextLocation, okJson, sendPage } from './common.js';

export const totpBodySchema = Type.Object({
  token: Type.String({ minLength: 1, maxLength: 16 }),
  targetURL: Type.Optional(Type.String({ maxLength: 8192 })),
  requestMethod: Type.Optional(Type.String({ maxLength: 16 })),
});

/** `POST /api/secondfactor/totp` (Authelia-compatible). */
export function totpPOST(deps: PortalDeps): Handler<{ body: typeof totpBodySchema }> {
  return async (request, reply) => {
    const { body } = request;
    const ctx = await portalRequest(deps, request);
    const result = await secondFactorTotp(deps, ctx, body, meta(request));
    if (!result.ok) return ko(reply, 401, result.reason === 'failed' ? authenticationFailed : notAuthenticated);
    void reply.header('set-cookie', deps.sessions.setCookie(ctx.cookie, result.session));
    return reply.send(okJson(result.next));
  };
}

export const totpFormSchema = Type.Object({
  token: Type.String({ maxLength: 16 }),
  rd: Type.Optional(Type.String({ maxLength: 8192 })),
  rm: Type.Optional(Type.String({ maxLength: 16 })),
});

/** `POST /2fa`: the one-time-code form. */
export function secondFactorFormPOST(deps: PortalDeps): Handler<{ body: typeof totpFormSchema }> {
  return async (request, reply) => {
    const form = request.body;
    const ctx = await portalRequest(deps, request);
    const result = await secondFactorTotp(deps, ctx, { token: form.token, targetURL: form.rd, requestMethod: form.rm }, meta(request));
    if (result.ok) {
      void reply.header('set-cookie', deps.sessions.setCookie(ctx.cookie, result.session));
      return reply
        .status(303)
        .header('location', nextLocation(deps, result.next, form.rm))
        .send();
    }
    const state = userOf(ctx.session);
    if (!state)
      return reply
        .status(303)
        .header('location', own(deps, '/', form.rd, form.rm))
        .send();
    return sendPage(reply, 401, await secondFactorPageFor(deps, ctx, state, { rd: form.rd, rm: form.rm, error: authenticationFailed }));
  };
}

export const passwordFormSchema = Type.Object({
  password: Type.String({ maxLength: 1024 }),
  rd: Type.Optional(Type.String({ maxLength: 8192 })),
  rm: Type.Optional(Type.String({ maxLength: 16 })),
});

/** `POST /2fa/password`: the password completing a passkey sign-in. */
export function passwordFormPOST(deps: PortalDeps): Handler<{ body: typeof passwordFormSchema }> {
  return async (request, reply) => {
    const form = request.body;
    const ctx = await portalRequest(deps, request);
    const result = await secondFactorPassword(deps, ctx, { password: form.password, targetURL: form.rd, requestMethod: form.rm }, meta(request));
    if (result.ok) {
      void reply.header('set-cookie', deps.sessions.setCookie(ctx.cookie, result.session));
      return reply
        .status(303)
        .header('location', nextLocation(deps, result.next, form.rm))
        .send();
    }
    const state = userOf(ctx.session);
    if (!state)
      return reply
        .status(303)
        .header('location', own(deps, '/', form.rd, form.rm))
        .send();
    return sendPage(reply, 401, await secondFactorPageFor(deps, ctx, state, { rd: form.rd, rm: form.rm, error: authenticationFailed }));
  };
}

export const passwordBodySchema = Type.Object({
  password: Type.String({ minLength: 1, maxLength: 1024 }),
  targetURL: Type.Optional(Type.String({ maxLength: 8192 })),
  requestMethod: Type.Optional(Type.String({ maxLength: 16 })),
});

/** `POST /api/secondfactor/password`: the JSON form of {@link passwordFormPOST}. */
export function passwordPOST(deps: PortalDeps): Handler<{ body: typeof passwordBodySchema }> {
  return async (request, reply) => {
    const ctx = await portalRequest(deps, request);
    const result = await secondFactorPassword(deps, ctx, request.body, meta(request));
    if (!result.ok) return ko(reply, 401, result.reason === 'failed' ? authenticationFailed : notAuthenticated);
    void reply.header('set-cookie', deps.sessions.setCookie(ctx.cookie, result.session));
    return reply.send(okJson(result.next));
  };
}

/**
 * The methods the 2FA page offers `state`'s user: a passkey session is offered its password
 * and the authenticator app (never a key again: that would be the same factor twice); others
 * their app and their keys for this cookie domain, the preferred one first.
 */
export async function secondFactorChoices(deps: PortalDeps, ctx: PortalRequest, state: SessionState): Promise<SecondFactorChoices> {
  const passkey = isPasskeySession(state);
  const totp = deps.totp ? await deps.totp.has(state.username) : false;
  const webauthn = !passkey && deps.webauthn ? (await deps.webauthn.list(state.username, relyingParty(ctx).id)).length > 0 : false;
  return {
    totp,
    webauthn,
    password: passkey,
    preferred: await deps.preferences.secondFactorMethod(state.username),
    canEnrol: { totp: deps.totp !== undefined, webauthn: deps.webauthn !== undefined },
  };
}

export async function secondFactorPageFor(
  deps: PortalDeps,
  ctx: PortalRequest,
  state: SessionState,
  options: { rd?: string | undefined; rm?: string | undefined; error?: string | undefined },
): Promise<string> {
  const choices = await secondFactorChoices(deps, ctx, state);
  return secondFactorPage(chrome(deps), { ...options, displayName: state.displayName || state.username, choices });
}

/** `GET /2fa`: the second-factor page (or on to the target when already at level 2). */
export function secondFactorPageGET(deps: PortalDeps): PageHandler {
  return async (request, reply) => {
    const { rd, rm } = request.query;
    const ctx = await portalRequest(deps, request);
    const state = userOf(ctx.session);
    if (!state || !ctx.session)
      return reply
        .status(302)
        .header('location', own(deps, '/', rd, rm))
        .send();
    await deps.sessions.touch(ctx.cookie, ctx.session);
    if (state.level >= 2) {
      const target = safeRedirect(rd, deps.cookies);
      return reply
        .status(302)
        .header('location', target ? target.href : own(deps, '/authenticated'))
        .send();
    }
    if (!deps.totp && !deps.webauthn)
      return sendPage(reply, 403, messagePage(chrome(deps), 'Two-factor sign-in', 'Second factors are disabled on this server.'));
    return sendPage(reply, 200, await secondFactorPageFor(deps, ctx, state, { rd, rm }));
  };
}
