import { defaults } from './defaults.js';
import { keyPath } from './problems.js';
import { type ReadContext, readBoolean, readChoice, readMapping, readPath } from './reader.js';

export const logLevels = ['trace', 'debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof logLevels)[number];

export interface LogConfig {
  readonly level: LogLevel;
  /** `text` is for people, `json` for log collectors. */
  readonly format: 'text' | 'json';
  /** Write logs to this file instead of standard output; `%d` becomes the start time (Authelia's placeholder). */
  readonly filePath: string | undefined;
  /** With `filePath`: write to standard output as well (Authelia's `keep_stdout`, off by default). */
  readonly keepStdout: boolean;
}

/** Reads `log`. */
export function readLog(ctx: ReadContext, value: unknown): LogConfig {
  const path = 'log';
  const raw = readMapping(ctx, path, value, ['level', 'format', 'file_path', 'keep_stdout']) ?? {};
  return {
    level: readChoice(ctx, keyPath(path, 'level'), raw.level, logLevels, defaults.log.level),
    format: readChoice(ctx, keyPath(path, 'format'), raw.format, ['text', 'json'] as const, defaults.log.format),
    filePath: readPath(ctx, keyPath(path, 'file_path'), raw.file_path),
    keepStdout: readBoolean(ctx, keyPath(path, 'keep_stdout'), raw.keep_stdout, false),
  };
}
