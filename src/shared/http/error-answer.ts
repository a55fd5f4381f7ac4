import { GatehouseError, isTemporarilyUnavailable } from '../errors.js';
import { StoreUnavailableError } from '../store-unavailable.js';

/** How an error that reached the HTTP edge is answered and logged. */
export interface ErrorAnswer {
  readonly status: number;
  /** What the client is told. */
  readonly message: string;
  /**
   * A passing condition (a lost store, password hashing at its limit): 503, never cached, and
   * shown as a page on the portal's pages.
   */
  readonly unavailable: boolean;
  readonly log: { readonly level: 'info' | 'error'; readonly fields: Record<string, unknown>; readonly msg: string };
}

/**
 * The one mapping from an error to its answer, shared by fastify's error renderer
 * (server/error-handler.ts) and the forward-auth fast path (authz/http.ts):
 * - a store lost while running (StoreUnavailableError): 503 with its short message, never cached;
 * - an error marked `expose`: its status and message (a 503 one, password hashing at its limit,
 *   is a passing condition like a lost store);
 * - a client error that carries a 4xx `statusCode` (a framework's: malformed body, too large);
 * - anything else: 500 `Internal error`, the detail only in the log.
 */
export function errorAnswer(error: unknown): ErrorAnswer {
  if (error instanceof StoreUnavailableError) {
    const fields = { code: error.code, store: error.store, reason: error.reason };
    return { status: error.status, message: error.message, unavailable: true, log: { level: 'info', fields, msg: 'request refused: a store is unavailable' } };
  }
  if (error instanceof GatehouseError && error.expose) {
    return {
      status: error.status,
      message: error.message,
      unavailable: isTemporarilyUnavailable(error),
      log: { level: 'info', fields: { code: error.code }, msg: error.message },
    };
  }
  const status = (error as { statusCode?: unknown } | undefined)?.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return { status, message: (error as Error).message, unavailable: false, log: { level: 'info', fields: { err: error }, msg: 'bad request' } };
  }
  return { status: 500, message: 'Internal error', unavailable: false, log: { level: 'error', fields: { err: error }, msg: 'request failed' } };
}
