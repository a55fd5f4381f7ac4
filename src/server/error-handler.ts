import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { GatehouseError } from '../shared/errors.js';
import { sendKo } from '../shared/http/ko.js';

/**
 * The one renderer of errors for the JSON API and pages (OAuth errors have their own, in oidc/).
 * Errors marked `expose` show their message; anything else becomes a generic message, with
 * the detail only in the log.
 */
export function renderError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
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
}

/** Unknown routes. */
export function renderNotFound(request: FastifyRequest, reply: FastifyReply): void {
  sendKo(reply, 404, `Not found: ${request.method} ${request.url.split('?')[0]}`);
}
