import type { preValidationHookHandler } from 'fastify';
import { InvalidRequest } from './errors.js';

/**
 * A `preValidation` guard for endpoints that take a form (introspection, revocation): a body
 * that is not `application/x-www-form-urlencoded` is refused as such before its parameters are
 * validated (RFC 7662 §2.1, RFC 7009 §2.1), through the route's OAuth error handler.
 */
export function formBodyOnly(what: string): preValidationHookHandler {
  return (request, _reply, done) => {
    const type = request.headers['content-type'] ?? '';
    done(
      type.startsWith('application/x-www-form-urlencoded') ? undefined : new InvalidRequest(`The ${what} request must be application/x-www-form-urlencoded.`),
    );
  };
}
