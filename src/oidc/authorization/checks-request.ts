/**
 * Checks of the authorization request itself, before any user interaction:
 * - resume a pending request (`flow_id`) or take the parameters as sent;
 * - client and redirect URI first, compared byte for byte with the registered ones (RFC 6749
 *   §3.1.2.3, RFC 9700 §2.1 and §4.1.3); until both pass, errors show a page and never redirect;
 * - response mode (`query`, `form_post`), response type (`code` only, RFC 6749 §4.1.1), scopes
 *   (OIDC Core §3.1.2.1). Request objects: checks-request-object.ts.
 */
import { InvalidRequest, InvalidScope, UnauthorizedClient, UnredirectableError, UnsupportedResponseType } from '../errors.js';
import { type Check, param } from './context.js';

/** `flow_id`: continue a request saved while the user logged in or consented. */
export const loadPending: Check = async (ctx) => {
  const flowId = ctx.params.flow_id;
  if (flowId === undefined) return;
  if (typeof flowId !== 'string') throw new UnredirectableError('invalid_request', 'The sign-in request is malformed.');
  const pending = await ctx.deps.repository.findPending(ctx.deps.hasher.hash('flow', flowId), ctx.now);
  if (!pending)
    throw new UnredirectableError('invalid_request', 'This sign-in request has expired or was already completed. Go back to the application and start again.');
  ctx.flowId = flowId;
  ctx.pending = pending;
  ctx.params = { ...pending.parameters };
  ctx.loginAfter = pending.loginAfter;
};

export const checkClient: Check = (ctx) => {
  const id = ctx.params.client_id;
  if (typeof id !== 'string' || id === '') throw new UnredirectableError('invalid_request', 'The request does not name a client (client_id).');
  const client = ctx.deps.clients.get(id);
  if (!client) throw new UnredirectableError('invalid_client', `The client '${id}' is not registered.`);
  ctx.client = client;
};

export const checkRedirectUri: Check = (ctx) => {
  const uri = ctx.params.redirect_uri;
  if (typeof uri !== 'string' || uri === '') throw new UnredirectableError('invalid_request', 'The request has no redirect_uri.');
  if (!ctx.client!.redirectUris.includes(uri)) {
    throw new UnredirectableError(
      'invalid_request',
      `The redirect_uri '${uri}' is not registered for the client '${ctx.client!.id}'; registered: ${ctx.client!.redirectUris.join(', ')}.`,
    );
  }
  ctx.redirectUri = uri;
};

export const rejectDuplicates: Check = (ctx) => {
  for (const name of Object.keys(ctx.params)) param(ctx, name);
};

export const checkResponseMode: Check = (ctx) => {
  const mode = param(ctx, 'response_mode');
  if (mode === undefined) return;
  if (mode !== 'query' && mode !== 'form_post') throw new InvalidRequest(`The response_mode '${mode}' is not supported; use 'query' or 'form_post'.`);
  ctx.responseMode = mode;
  if (!ctx.client!.responseModes.includes(mode)) throw new InvalidRequest(`The response_mode '${mode}' is not allowed for this client.`);
};

export const checkResponseType: Check = (ctx) => {
  const type = param(ctx, 'response_type');
  if (type === undefined || type === '') throw new InvalidRequest('response_type is required.');
  if (type !== 'code') throw new UnsupportedResponseType(`The response_type '${type}' is not supported; use 'code'.`);
  if (!ctx.client!.responseTypes.includes(type)) throw new UnauthorizedClient(`The response_type '${type}' is not allowed for this client.`);
  if (!ctx.client!.grantTypes.includes('authorization_code')) throw new UnauthorizedClient('The authorization_code grant is not allowed for this client.');
};

/** Scopes the provider does not issue yet; accepted and left out of the grant (RFC 6749 §3.3). */
const ignoredScopes = new Set(['offline_access', 'offline']);

export const checkScope: Check = (ctx) => {
  const scope = param(ctx, 'scope');
  if (scope === undefined || scope.trim() === '') throw new InvalidScope("scope is required and must contain 'openid'.");
  const requested = [...new Set(scope.split(' ').filter((s) => s !== '' && !ignoredScopes.has(s)))];
  const refused = requested.filter((s) => !ctx.client!.scopes.includes(s));
  if (refused.length > 0) throw new InvalidScope(`The scope '${refused.join(' ')}' is not allowed for this client.`);
  if (!requested.includes('openid')) throw new InvalidScope("scope must contain 'openid'.");
  ctx.scopes = requested;
};
