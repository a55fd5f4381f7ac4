import type { FastifyReply, FastifyRequest, RouteHandlerMethod } from 'fastify';
import { safeRedirect } from '../../session/safe-redirect.js';
import { firstFactor } from '../actions/first-factor.js';
import { authenticationFailed } from '../actions/messages.js';
import { nextStep } from '../actions/next-step.js';
import type { PortalDeps } from '../deps.js';
import { loginPage } from '../html/pages.js';
import { portalRequest, userOf } from '../request-context.js';
import { type TargetQuery, chrome, ko, meta, nextLocation, okJson, sendPage } from './common.js';

interface FirstFactorBody {
  username: string;
  password: string;
  keepMeLoggedIn?: boolean;
  targetURL?: string;
  requestMethod?: string;
}

export const firstFactorBodySchema = {
  type: 'object',
  required: ['username', 'password'],
  properties: {
    username: { type: 'string', minLength: 1, maxLength: 256 },
    password: { type: 'string', minLength: 1, maxLength: 1024 },
    keepMeLoggedIn: { type: 'boolean' },
    targetURL: { type: 'string', maxLength: 8192 },
    requestMethod: { type: 'string', maxLength: 16 },
  },
} as const;

/** `POST /api/firstfactor` (Authelia-compatible). */
export function firstFactorPOST(deps: PortalDeps): RouteHandlerMethod {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const body = request.body as FirstFactorBody;
    const ctx = await portalRequest(deps, request);
    const result = await firstFactor(deps, ctx, { ...body, keepMeLoggedIn: body.keepMeLoggedIn === true }, meta(request));
    if (!result.ok) return ko(reply, 401, authenticationFailed);
    void reply.header('set-cookie', deps.sessions.setCookie(ctx.cookie, result.session));
    return reply.send(okJson(result.next));
  };
}

interface LoginForm {
  username: string;
  password: string;
  keepMeLoggedIn?: string;
  rd?: string;
  rm?: string;
}

export const loginFormSchema = {
  type: 'object',
  required: ['username', 'password'],
  properties: {
    username: { type: 'string', maxLength: 256 },
    password: { type: 'string', maxLength: 1024 },
    keepMeLoggedIn: { type: 'string', maxLength: 8 },
    rd: { type: 'string', maxLength: 8192 },
    rm: { type: 'string', maxLength: 16 },
  },
} as const;

/** `POST /login`: the login form without JavaScript. */
export function loginFormPOST(deps: PortalDeps): RouteHandlerMethod {
  return async (request, reply) => {
    const form = request.body as LoginForm;
    const ctx = await portalRequest(deps, request);
    const input = {
      username: form.username,
      password: form.password,
      keepMeLoggedIn: form.keepMeLoggedIn === 'true' || form.keepMeLoggedIn === 'on',
      targetURL: form.rd,
      requestMethod: form.rm,
    };
    const result = form.username.trim() === '' || form.password === '' ? ({ ok: false } as const) : await firstFactor(deps, ctx, input, meta(request));
    if (!result.ok) {
      const body = loginPage(chrome(deps), {
        rd: form.rd,
        rm: form.rm,
        username: form.username,
        error: authenticationFailed,
        rememberMe: ctx.cookie.rememberMe > 0,
      });
      return sendPage(reply, 401, body);
    }
    void reply.header('set-cookie', deps.sessions.setCookie(ctx.cookie, result.session));
    return reply.status(303).header('location', nextLocation(result.next, form.rm)).send();
  };
}

/** `GET /`: the login page; a signed-in user is sent on to the target or the next step, unless `prompt=login`. */
export function loginPageGET(deps: PortalDeps): RouteHandlerMethod {
  return async (request, reply) => {
    const { rd, rm, prompt } = request.query as TargetQuery;
    const ctx = await portalRequest(deps, request);
    const state = userOf(ctx.session);
    // A forced login keeps the current session until the new login replaces it, so a link
    // cannot sign anyone out.
    if (state && ctx.session && prompt !== 'login') {
      await deps.sessions.touch(ctx.cookie, ctx.session);
      const next = safeRedirect(rd, deps.cookies)
        ? nextStep(deps, ctx.cookie, state, { targetURL: rd, requestMethod: rm, ip: meta(request).ip })
        : ({ kind: 'authenticated' } as const);
      return reply.status(302).header('location', nextLocation(next, rm)).send();
    }
    return sendPage(reply, 200, loginPage(chrome(deps), { rd, rm, rememberMe: ctx.cookie.rememberMe > 0 }));
  };
}
