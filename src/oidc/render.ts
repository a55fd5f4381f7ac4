import type { FastifyReply, FastifyRequest } from 'fastify';
import { html } from '../shared/html/escape.js';
import { layout } from '../shared/html/layout.js';
import { InvalidClient, InvalidToken, InsufficientScope, type OAuthError, ServerError, UnredirectableError, asOAuthError } from './errors.js';

/**
 * The one renderer of OAuth errors. Unexpected errors become `server_error`, their detail logged
 * and never sent. Three shapes, by where the error happened:
 * - JSON for the token and userinfo endpoints (RFC 6749 §5.2; RFC 6750 §3 `WWW-Authenticate`);
 * - response parameters for the authorization endpoint once the redirect URI is trusted (§4.1.2.1);
 * - an HTML page when it is not (unknown client, unregistered redirect URI): never a redirect.
 */
export function toOAuthError(error: unknown, request: FastifyRequest): OAuthError {
  const oauth = asOAuthError(error);
  if (oauth instanceof ServerError && oauth !== error) request.log.error({ err: error }, 'OpenID Connect request failed');
  else request.log.info({ error: oauth.error, description: oauth.description }, 'OAuth error');
  return oauth;
}

/** JSON error answer with `no-store`; Bearer and Basic challenges where they apply. */
export function sendOAuthErrorJson(reply: FastifyReply, error: unknown, request: FastifyRequest): FastifyReply {
  const e = toOAuthError(error, request);
  void reply.header('cache-control', 'no-store').header('pragma', 'no-cache');
  if (e instanceof InvalidToken || e instanceof InsufficientScope) {
    void reply.header('www-authenticate', `Bearer error="${e.error}", error_description="${e.description.replace(/["\\]/g, '')}"`);
  } else if (e instanceof InvalidClient && request.headers.authorization !== undefined) {
    void reply.header('www-authenticate', 'Basic realm="gatehouse"');
  }
  return reply.status(e.status).send({ error: e.error, error_description: e.description });
}

/** The parameters of an error authorization response (state and iss are added by the responder). */
export function errorParameters(e: OAuthError): Record<string, string> {
  return { error: e.error, error_description: e.description };
}

/** The error page for requests that must not be redirected (RFC 9700 §4.11.1). */
export function sendOAuthErrorPage(reply: FastifyReply, e: UnredirectableError | OAuthError, chrome: { productName: string; theme: string }): FastifyReply {
  const body = html`<p class="alert error" role="alert">${e.description}</p>
<p>The application that sent you here is misconfigured or the link was altered. Nothing was shared with it.</p>
<p class="links"><code>${e.error}</code></p>`;
  return reply
    .status(e.status)
    .header('cache-control', 'no-store')
    .header('content-security-policy', "default-src 'none'; style-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'")
    .header('x-frame-options', 'DENY')
    .header('referrer-policy', 'no-referrer')
    .type('text/html; charset=utf-8')
    .send(layout({ ...chrome, title: 'Sign-in request refused', body }));
}

export { UnredirectableError };
