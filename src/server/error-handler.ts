import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { type PageChrome, messagePage } from '../portal/html/pages.js';
import { errorAnswer } from '../shared/http/error-answer.js';
import { sendKo } from '../shared/http/ko.js';

/**
 * The one renderer of errors for the JSON API and pages (OAuth errors have their own, in oidc/),
 * over the one mapping of shared/http/error-answer.ts:
 * - a store lost while running (StoreUnavailableError: PostgreSQL, Redis): 503 with its short
 *   message, as a page on the portal's pages and as the KO body under `/api/` (the portal API).
 *   Never a 500, never anything else a proxy could take for an answer;
 * - errors marked `expose` show their message; fastify's own client errors keep their status;
 * - anything else becomes a generic message, with the detail only in the log.
 */
export function errorRenderer(chrome: PageChrome): (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => void {
  return (error, request, reply) => {
    const answer = errorAnswer(error);
    request.log[answer.log.level](answer.log.fields, answer.log.msg);
    if (answer.unavailable) void reply.header('cache-control', 'no-store');
    if (answer.unavailable && isPage(request)) {
      void reply
        .status(answer.status)
        .type('text/html; charset=utf-8')
        .send(messagePage(chrome, 'Temporarily unavailable', answer.message));
      return;
    }
    sendKo(reply, answer.status, answer.message);
  };
}

/** The portal's pages are every route outside `/api/` (the JSON API lives under it). */
function isPage(request: FastifyRequest): boolean {
  const route = request.routeOptions.url;
  return route !== undefined && !route.startsWith('/api/');
}

/** Unknown routes. */
export function renderNotFound(request: FastifyRequest, reply: FastifyReply): void {
  sendKo(reply, 404, `Not found: ${request.method} ${request.url.split('?')[0]}`);
}
