import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { type PageChrome, messagePage } from '../portal/html/pages.js';
import { GatehouseError } from '../shared/errors.js';
import { sendKo } from '../shared/http/ko.js';
import { StoreUnavailableError } from '../shared/store-unavailable.js';

/**
 * The one renderer of errors for the JSON API and pages (OAuth errors have their own, in oidc/).
 * - A store lost while running (StoreUnavailableError: PostgreSQL, Redis): 503 with its short
 *   message, as a page on the portal's pages and as the KO body under `/api/` (the portal API,
 *   forward-auth). Never a 500, never anything else a proxy could take for an answer.
 * - Errors marked `expose` show their message; fastify's own client errors keep their status.
 * - Anything else becomes a generic message, with the detail only in the log.
 */
export function errorRenderer(chrome: PageChrome): (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => void {
  return (error, request, reply) => {
    if (error instanceof StoreUnavailableError) {
      request.log.info({ code: error.code, store: error.store, reason: error.reason }, 'request refused: a store is unavailable');
      void reply.header('cache-control', 'no-store');
      if (isPage(request))
        void reply
          .status(error.status)
          .type('text/html; charset=utf-8')
          .send(messagePage(chrome, 'Temporarily unavailable', error.message));
      else sendKo(reply, error.status, error.message);
      return;
    }
    if (error instanceof GatehouseError && error.expose) {
      request.log.info({ code: error.code }, error.message);
      sendKo(reply, error.status, error.message);
      return;
    }
    const status = error.statusCode;
    if (status !== undefined && status >= 400 && status < 500) {
      // fastify's own client errors: malformed body, schema validation, too large.
      request.log.info({ err: error }, 'bad request');
      sendKo(reply, status, error.message);
      return;
    }
    request.log.error({ err: error }, 'request failed');
    sendKo(reply, 500, 'Internal error');
  };
}

/** The portal's pages are every route outside `/api/` (the JSON API and forward-auth live under it). */
function isPage(request: FastifyRequest): boolean {
  const route = request.routeOptions.url;
  return route !== undefined && !route.startsWith('/api/');
}

/** Unknown routes. */
export function renderNotFound(request: FastifyRequest, reply: FastifyReply): void {
  sendKo(reply, 404, `Not found: ${request.method} ${request.url.split('?')[0]}`);
}
