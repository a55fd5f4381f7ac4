/**
 * Base class of every error Gatehouse raises on purpose. `code` is stable and documented;
 * `status` is the HTTP status when the error reaches a client; `expose` says whether the
 * message may be shown to that client (otherwise a generic message is rendered and the
 * detail only logged).
 */
export class GatehouseError extends Error {
  readonly code: string;
  readonly status: number;
  readonly expose: boolean;

  constructor(code: string, message: string, options: { status?: number; expose?: boolean; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.status = options.status ?? 500;
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
  constructor(code: string, message: string, cause?: unknown) {
    super(code, message, { cause });
  }
}
