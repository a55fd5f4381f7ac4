/**
 * `GET|POST /api/oidc/authorization` — the authorization endpoint (RFC 6749 §3.1, §4.1.1;
 * OIDC Core §3.1.2). It runs the checks below in order; reading the list reads the spec.
 * Every response carries `iss` (RFC 9207) and echoes `state` byte for byte when it was sent.
 * Unknown parameters, `login_hint`, `display`, `ui_locales`, `claims_locales` and `acr_values`
 * are accepted and ignored. Nothing here is cacheable.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { OidcDeps } from '../deps.js';
import { UnredirectableError } from '../errors.js';
import { issuerOf } from '../issuer.js';
import { errorParameters, sendOAuthErrorPage, toOAuthError } from '../render.js';
import { sendAuthorizationResponse } from '../response-mode.js';
import type { OidcHandler, authorizationForm, authorizationParameters } from '../schemas.js';
import { checkClaimsParameter } from './checks-claims.js';
import { checkParameterEntropy } from './checks-entropy.js';
import { checkOfflineAccess } from './checks-offline.js';
import { checkPkce } from './checks-pkce.js';
import { checkIdTokenHint, checkMaxAge, checkPrompt } from './checks-prompt.js';
import { checkClient, checkRedirectUri, checkResponseMode, checkResponseType, checkScope, loadPending, rejectDuplicates } from './checks-request.js';
import { checkRequestObject } from './checks-request-object.js';
import type { AuthorizationContext, Check, RawParameters } from './context.js';
import { checkConsent, checkLogin } from './interactions.js';
import { issueCode } from './respond.js';

/** The checks, in order. Until `checkRedirectUri` passes, a refusal is an error page (a request object's `redirect_uri` is the one checked). */
export const authorizationChecks: readonly Check[] = [
  loadPending,
  checkClient,
  checkRequestObject,
  checkRedirectUri,
  rejectDuplicates,
  checkResponseMode,
  checkResponseType,
  checkScope,
  checkParameterEntropy,
  checkOfflineAccess,
  checkPkce,
  checkClaimsParameter,
  checkPrompt,
  checkMaxAge,
  checkIdTokenHint,
  checkLogin,
  checkConsent,
];

/** `GET`: the parameters from the query. */
export function authorizationGET(deps: OidcDeps): OidcHandler<{ querystring: typeof authorizationParameters }> {
  return async (request, reply) => authorize(deps, request, reply, request.query);
}

/** `POST`: the parameters from the form body (OIDC Core §3.1.2.1). */
export function authorizationPOST(deps: OidcDeps): OidcHandler<{ body: typeof authorizationForm }> {
  return async (request, reply) => authorize(deps, request, reply, request.body ?? {});
}

async function authorize(deps: OidcDeps, request: FastifyRequest, reply: FastifyReply, params: RawParameters): Promise<FastifyReply> {
  void reply.header('cache-control', 'no-store');
  let ctx: AuthorizationContext | undefined;
  try {
    const { issuer, cookie } = issuerOf(deps.sessions, request, deps.basePath);
    const session = await deps.sessions.load(cookie, request.cookies[cookie.name]);
    ctx = newContext(deps, request.method, issuer, cookie, session, { ...params });
    for (const check of authorizationChecks) {
      const interaction = await check(ctx);
      if (interaction) {
        for (const value of ctx.setCookies) void reply.header('set-cookie', value);
        return reply
          .status(request.method === 'POST' ? 303 : 302)
          .header('location', interaction.redirect)
          .send();
      }
    }
    return respond(reply, ctx, await issueCode(ctx));
  } catch (error) {
    const e = toOAuthError(error, request);
    if (!ctx?.redirectUri || e instanceof UnredirectableError) {
      return sendOAuthErrorPage(reply, e, deps.chrome);
    }
    return respond(reply, ctx, errorParameters(e, deps.config.enableClientDebugMessages));
  }
}

function respond(reply: FastifyReply, ctx: AuthorizationContext, parameters: Record<string, string>): FastifyReply {
  const state = ctx.params.state;
  const all = { ...parameters, ...(typeof state === 'string' ? { state } : {}), iss: ctx.issuer };
  for (const value of ctx.setCookies) void reply.header('set-cookie', value);
  return sendAuthorizationResponse(reply, ctx.responseMode, ctx.redirectUri!, all, ctx.method);
}

function newContext(
  deps: OidcDeps,
  method: string,
  issuer: string,
  cookie: AuthorizationContext['cookie'],
  session: AuthorizationContext['session'],
  params: RawParameters,
): AuthorizationContext {
  return {
    deps,
    issuer,
    method,
    cookie,
    session,
    params,
    now: deps.clock.now(),
    flowId: undefined,
    pending: undefined,
    client: undefined,
    redirectUri: undefined,
    responseMode: 'query',
    scopes: [],
    prompts: new Set(),
    loginAfter: undefined,
    hintSubject: undefined,
    codeChallenge: undefined,
    codeChallengeMethod: undefined,
    claimsRequest: undefined,
    setCookies: [],
  };
}
