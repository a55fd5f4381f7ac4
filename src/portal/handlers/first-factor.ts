import { Type } from 'typebox';
import { safeRedirect } from '../../session/safe-redirect.js';
import { firstFactor } from '../actions/first-factor.js';
import { authenticationFailed } from '../actions/messages.js';
import { type NextStep, nextStep } from '../actions/next-step.js';
import type { PortalDeps } from '../deps.js';
import { loginPage } from '../html/pages.js';
import { portalRequest, userOf } from '../request-context.js';
import { type Handler, type PageHandler, chrome, ko, meta, nextLocation, okJson, sendPage } from './common.js';

export const firstFactorBodySchema = Type.Object({
  username: Type.String({ minLength: 1, maxLength: 256 }),
  password: Type.String({ minLength: 1, maxLength: 1024 }),
  keepMeLoggedIn: Type.Optional(Type.Boolean()),
  targetURL: Type.Optional(Type.String({ maxLength: 8192 })),
  requestMethod: Type.Optional(Type.String({ maxLength: 16 })),
});

/** `POST /api/firstfactor` (Authelia-compatible). */
export function firstFactorPOST(deps: PortalDeps): Handler<{ body: typeof firstFactorBodySchema }> {
  return async (request, reply) => {
    const { body } = request;
    const ctx = await portalRequest(deps, request);
    const result = await firstFactor(deps, ctx, { ...body, keepMeLoggedIn: body.keepMeLoggedIn === true }, meta(request));
    if (!result.ok) return ko(reply, 401, authenticationFailed);
    void reply.header('set-cookie', deps.sessions.setCookie(ctx.cookie, result.session));
    return reply.send(okJson(result.next));
  };
}

export const loginFormSchema = Type.Object({
  username: Type.String({ maxLength: 256 }),
  password: Type.String({ maxLength: 1024 }),
  keepMeLoggedIn: Type.Optional(Type.String({ maxLength: 8 })),
  rd: Type.Optional(Type.String({ maxLength: 8192 })),
  rm: Type.Optional(Type.String({ maxLength: 16 })),
});

/** `POST /login`: the login form without JavaScript. */
export function loginFormPOST(deps: PortalDeps): Handler<{ body: typeof loginFormSchema }> {
  return async (request, reply) => {
    const form = request.body;
    const ctx = await portalRequest(deps, request);
    const input = {
      username: form.username,
      password: form.password,
      keepMeLoggedIn: form.keepMeLoggedIn === 'true' || form.keepMeLoggedIn === 'on',
      targetURL: form.rd,
      requestMethod: form.rm,
    };
    // A blank field fails like a wrong password, without a lookup.
    const blank = form.username.trim() === '' || form.password === '';
    const result = blank ? undefined : await firstFactor(deps, ctx, input, meta(request));
    if (!result?.ok) {
      const body = loginPage(chrome(deps), {
        rd: form.rd,
        rm: form.rm,
        username: form.username,
        error: authenticationFailed,
        rememberMe: ctx.cookie.rememberMe > 0,
        resetLink: deps.resetPasswordLink,
        passkey: deps.webauthn?.config.enablePasskeyLogin === true,
      });
      return sendPage(reply, 401, body);
    }
    void reply.header('set-cookie', deps.sessions.setCookie(ctx.cookie, result.session));
    return reply
      .status(303)
      .header('location', nextLocation(deps, result.next, form.rm))
      .send();
  };
}

/** `GET /`: the login page; a signed-in user is sent on to the target or the next step, unless `prompt=login`. */
export function loginPageGET(deps: PortalDeps): PageHandler {
  return async (request, reply) => {
    const { rd, rm, prompt } = request.query;
    const ctx = await portalRequest(deps, request);
    const state = userOf(ctx.session);
    // A forced login keeps the current session until the new login replaces it, so a link
    // cannot sign anyone out.
    if (state && ctx.session && prompt !== 'login') {
      await deps.sessions.touch(ctx.cookie, ctx.session);
      const next: NextStep = safeRedirect(rd, deps.cookies)
        ? nextStep(deps, ctx.cookie, state, { targetURL: rd, requestMethod: rm, ip: meta(request).ip })
        : { kind: 'authenticated' };
      return reply
        .status(302)
        .header('location', nextLocation(deps, next, rm))
        .send();
    }
    return sendPage(
      reply,
      200,
      loginPage(chrome(deps), {
        rd,
        rm,
        rememberMe: ctx.cookie.rememberMe > 0,
        resetLink: deps.resetPasswordLink,
        passkey: deps.webauthn?.config.enablePasskeyLogin === true,
      }),
    );
  };
}
