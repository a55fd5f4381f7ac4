import { GatehouseError } from '../shared/errors.js';

/** What a command reads and writes; the process's own streams unless a test passes others. */
export interface CliIO {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  readonly stdin: NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?: (raw: boolean) => unknown };
  readonly env: Readonly<Record<string, string | undefined>>;
}

export const processIO: CliIO = {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  env: process.env,
};

/** A mistake in how the command was called: printed with a hint, exit code 2. */
export class UsageError extends GatehouseError {
  constructor(message: string) {
    super('GH_USAGE', message);
  }
}

export const exitCodes = { ok: 0, failure: 1, usage: 2 } as const;
