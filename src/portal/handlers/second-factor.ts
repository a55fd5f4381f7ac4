import { Type } from 'typebox';
import { safeRedirect } from '../../session/safe-redirect.js';
import { authenticationFailed, notAuthenticated } from '../actions/messages.js';
import { secondFactorTotp } from '../actions/second-factor.js';
import type { PortalDeps } from '../deps.js';
import { secondFactorPage } from '../html/pages.js';
import { portalRequest, userOf } from '../request-context.js';
import { type Handler, type PageHandler, chrome, ko, meta, nextLocation, okJson, sendPage, withTarget } from './common.js';

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
      return reply.status(303).header('location', nextLocation(result.next, form.rm)).send();
    }
    const state = userOf(ctx.session);
    if (!state)
      return reply
        .status(303)
        .header('location', withTarget('/', form.rd, form.rm))
        .send();
    const body = secondFactorPage(chrome(deps), {
      rd: form.rd,
      rm: form.rm,
      displayName: state.displayName || state.username,
      hasTotp: true,
      error: authenticationFailed,
    });
    return sendPage(reply, 401, body);
  };
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
        .header('location', withTarget('/', rd, rm))
        .send();
    await deps.sessions.touch(ctx.cookie, ctx.session);
    if (state.level >= 2) {
      const target = safeRedirect(rd, deps.cookies);
      return reply
        .status(302)
        .header('location', target ? target.href : '/authenticated')
        .send();
    }
    if (!deps.totp)
      return sendPage(
        reply,
        403,
        secondFactorPage(chrome(deps), { displayName: state.displayName, hasTotp: false, error: 'Second factors are disabled on this server.' }),
      );
    const hasTotp = await deps.totp.has(state.username);
    return sendPage(reply, 200, secondFactorPage(chrome(deps), { rd, rm, displayName: state.displayName || state.username, hasTotp }));
  };
}
