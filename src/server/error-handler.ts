import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { GatehouseError } from '../shared/errors.js';

/**
 * The one renderer of errors for the JSON API and pages (OAuth errors have their own, in oidc/).
 * Errors marked `expose` show their message; anything else becomes a generic message, with
 * the detail only in the log.
 */
export function renderError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  if (error instanceof GatehouseError && error.expose) {
    request.log.info({ code: error.code }, error.message);
    void reply.status(error.status).send({ status: 'KO', message: error.message });
    return;
  }
  const status = error.statusCode;
  if (status !== undefined && status >= 400 && status < 500) {
    // fastify's own client errors: malformed body, schema validation, too large.
    request.log.info({ err: error }, 'bad request');
    void reply.status(status).send({ status: 'KO', message: error.message });
    return;
  }
  request.log.error({ err: error }, 'request failed');
  void reply.status(500).send({ status: 'KO', message: 'Internal error' });
}

/** Unknown routes. */
export function renderNotFound(request: FastifyRequest, reply: FastifyReply): void {
  void reply.status(404).send({ status: 'KO', message: `Not found: ${request.method} ${request.url.split('?')[0]}` });
}
