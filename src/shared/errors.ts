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
