import { type ErrorCode, GatehouseError } from './errors.js';

/**
 * A store Gatehouse needs while running — PostgreSQL storage, Redis sessions — cannot answer
 * now (lost, refused, timed out, shutting down). Whatever needed it is refused with 503 and the
 * short `message`: never read as "not found", never as allowed. One error for every store, so
 * one mapping renders it: the portal's KO body or an error page, `temporarily_unavailable` at
 * the OpenID Connect endpoints, a 503 page in proxy mode. The cause stays in `cause` and the log.
 */
export class StoreUnavailableError extends GatehouseError {
  /** The configuration key of the store: `storage.postgres`, `session.redis`. */
  readonly store: string;
  /** What failed, in a few words without addresses or secrets (logs and `/api/health`). */
  readonly reason: string;

  constructor(code: ErrorCode, message: string, details: { store: string; reason: string; cause: unknown }) {
    super(code, message, { expose: true, cause: details.cause });
    this.store = details.store;
    this.reason = details.reason;
  }
}
