import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { html } from '../shared/html/escape.js';
import { layout } from '../shared/html/layout.js';
import { StoreUnavailableError } from '../shared/store-unavailable.js';
import { InvalidClient, InvalidRequest, InvalidToken, InsufficientScope, OAuthError, ServerError, UnredirectableError, asOAuthError } from './errors.js';

/**
 * The one renderer of OAuth errors. Unexpected errors become `server_error`, their detail logged
 * and never sent; a store lost while running becomes `temporarily_unavailable` (503). Three
 * shapes, by where the error happened:
 * - JSON for the token and userinfo endpoints (RFC 6749 §5.2; RFC 6750 §3 `WWW-Authenticate`);
 * - response parameters for the authorization endpoint once the redirect URI is trusted (§4.1.2.1);
 * - an HTML page when it is not (unknown client, unregistered redirect URI): never a redirect.
 * A request refused before its handler ran (schema, unparsable or unsupported body) is
 * `invalid_request` in the same shapes, through the routes' error handlers below.
 */
export function toOAuthError(error: unknown, request: FastifyRequest): OAuthError {
  const oauth = asOAuthError(error);
  if (oauth instanceof ServerError && oauth !== error) request.log.error({ err: error }, 'OpenID Connect request failed');
  else if (error instanceof StoreUnavailableError)
    request.log.info({ code: error.code, store: error.store, reason: error.reason }, 'OAuth error: a store is unavailable');
  else request.log.info({ error: oauth.error, description: oauth.description }, 'OAuth error');
  return oauth;
}

/**
 * JSON error answer with `no-store`; Bearer and Basic challenges where they apply. With `debug`
 * (`enable_client_debug_messages`) the error's technical detail goes along as `error_debug`.
 */
export function sendOAuthErrorJson(reply: FastifyReply, error: unknown, request: FastifyRequest, debug = false): FastifyReply {
  const e = toOAuthError(error, request);
  void reply.header('cache-control', 'no-store').header('pragma', 'no-cache');
  if (e instanceof InvalidToken || e instanceof InsufficientScope) {
    void reply.header('www-authenticate', `Bearer error="${e.error}", error_description="${e.description.replace(/["\\]/g, '')}"`);
  } else if (e instanceof InvalidClient && request.headers.authorization !== undefined) {
    void reply.header('www-authenticate', 'Basic realm="gatehouse"');
  }
  return reply.status(e.status).send(errorParameters(e, debug));
}

/** The parameters of an error response (state and iss are added by the authorization responder); `error_debug` only with `debug`. */
export function errorParameters(e: OAuthError, debug = false): Record<string, string> {
  return { error: e.error, error_description: e.description, ...(debug && e.debug !== undefined ? { error_debug: e.debug } : {}) };
}

/** What the error page says besides the error: its title and the sentence under the error. */
export interface ErrorPageWording {
  readonly title: string;
  readonly detail: string;
}

const signInRefused: ErrorPageWording = {
  title: 'Sign-in request refused',
  detail: 'The application that sent you here is misconfigured or the link was altered. Nothing was shared with it.',
};

/** The error page for requests that must not be redirected (RFC 9700 §4.11.1). */
export function sendOAuthErrorPage(
  reply: FastifyReply,
  e: UnredirectableError | OAuthError,
  chrome: PageChrome,
  wording: ErrorPageWording = signInRefused,
): FastifyReply {
  const body = html`<p class="alert error" role="alert">${e.description}</p>
<p>${wording.detail}</p>
<p class="links"><code>${e.error}</code></p>`;
  return reply
    .status(e.status)
    .header('cache-control', 'no-store')
    .header('content-security-policy', "default-src 'none'; style-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'")
    .header('x-frame-options', 'DENY')
    .header('referrer-policy', 'no-referrer')
    .type('text/html; charset=utf-8')
    .send(layout({ ...chrome, title: wording.title, body }));
}

/** Chrome of the error page: the product name, theme, and the path Gatehouse is served under (its stylesheet's). */
export interface PageChrome {
  readonly productName: string;
  readonly theme: string;
  readonly base: string;
}

/** Route `errorHandler` of the token, userinfo, discovery and keys routes: every failure as a JSON OAuth error. */
export function oauthJsonErrorHandler(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  void sendOAuthErrorJson(reply, fromRequestError(error, request), request);
}

/**
 * Route `errorHandler` of the authorization endpoint. A request refused before the handler ran
 * has no trusted client or redirect URI yet, so it gets the error page, never a redirect.
 */
export function oauthPageErrorHandler(chrome: PageChrome): (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => void {
  return (error, request, reply) => {
    void sendOAuthErrorPage(reply, toOAuthError(fromRequestError(error, request), request), chrome);
  };
}

/**
 * fastify's own client errors — schema validation (`FST_ERR_VALIDATION`), a body it could not
 * parse or does not accept — as `invalid_request` (RFC 6749 §5.2, RFC 6750 §3.1) naming the
 * parameter; anything else as it is (OAuth errors, or what becomes `server_error`).
 */
export function fromRequestError(error: FastifyError, request: FastifyRequest): unknown {
  if (error instanceof OAuthError) return error;
  const status = error.statusCode ?? 500;
  if (status < 400 || status >= 500) return error;
  return new InvalidRequest(describeRequestError(error, request));
}

/** fastify's codes for a body it could not read as parameters (unsupported type, empty or invalid JSON). */
const notParameters = new Set(['FST_ERR_CTP_INVALID_MEDIA_TYPE', 'FST_ERR_CTP_EMPTY_JSON_BODY', 'FST_ERR_CTP_INVALID_JSON_BODY']);

function describeRequestError(error: FastifyError, request: FastifyRequest): string {
  if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return 'The request body is too large.';
  const first = error.validation?.[0];
  const atBody = error.validationContext === 'body' && first?.instancePath === '';
  if (notParameters.has(error.code) || atBody) return 'The request body must be application/x-www-form-urlencoded.';
  // The first segment of the JSON pointer names the parameter (or header).
  const name = first?.instancePath.split('/')[1]?.replaceAll('~1', '/').replaceAll('~0', '~');
  if (first === undefined || name === undefined || name === '') return `The request is malformed: ${error.message}.`;
  const noun = error.validationContext === 'headers' ? 'header' : 'parameter';
  if (first.keyword !== 'type') return `The ${noun} '${name}' is invalid: it ${first.message ?? 'does not match its schema'}.`;
  const part = error.validationContext === 'body' ? request.body : error.validationContext === 'querystring' ? request.query : request.headers;
  const value = typeof part === 'object' && part !== null ? Object.getOwnPropertyDescriptor(part, name)?.value : undefined;
  return Array.isArray(value) ? `The ${noun} '${name}' must not be repeated.` : `The ${noun} '${name}' must be a string.`;
}

export { UnredirectableError };
