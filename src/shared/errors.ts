import { type ErrorCode, errorCodes } from './error-codes.js';

export type { ErrorCode };

/**
 * Base class of every error Gatehouse raises on purpose. `code` is a row of the one error table
 * (error-codes.ts); `status` is the HTTP status when the error reaches a client (the table's,
 * unless the error says otherwise); `expose` says whether the message may be shown to that
 * client (otherwise a generic message is rendered and the detail only logged).
 */
export class GatehouseError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly expose: boolean;

  constructor(code: ErrorCode, message: string, options: { status?: number; expose?: boolean; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.status = options.status ?? errorCodes[code].status;
    this.expose = options.expose ?? false;
  }
}

/**
 * Whether `error` is a passing condition the client may retry shortly: an exposed 503 (a store
 * lost while running, password hashing at its limit). Every edge answers these with 503 — the
 * portal and its API, forward-auth, the proxy, `temporarily_unavailable` at the OAuth endpoints
 * — never with a 500 or a generic error.
 */
export function isTemporarilyUnavailable(error: unknown): error is GatehouseError {
  return error instanceof GatehouseError && error.expose && error.status === 503;
}

/** The configuration is invalid; `problems` lists every problem found, one message each. */
export class ConfigError extends GatehouseError {
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super('GH_CONFIG_INVALID', problems.join('\n'));
    this.problems = problems;
  }
}

/** Starting up failed for a reason the operator must fix (port in use, wrong key, unwritable folder…). */
export class StartupError extends GatehouseError {
  constructor(code: ErrorCode, message: string, cause?: unknown) {
    super(code, message, { cause });
  }
}
