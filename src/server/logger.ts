import { createRequire } from 'node:module';
import { type DestinationStream, type Logger, type LoggerOptions, pino } from 'pino';
import type pinoPretty from 'pino-pretty';
import type { LogConfig } from '../config/log.js';

/** What the logger needs of `log`: `keepStdout` and `filePath` are optional for callers that log to one stream. */
export type LoggerConfig = Pick<LogConfig, 'level' | 'format'> & Partial<Pick<LogConfig, 'filePath' | 'keepStdout'>>;

/**
 * The process logger (pino, which fastify uses too). `text` renders one readable line per
 * entry; `json` one JSON object per line. Secrets in request headers are redacted. With
 * `filePath` the log goes to that file (`%d` in its name becomes the start time, as in Authelia),
 * and to standard output too with `keepStdout`. `now` and `stdout` are for tests.
 */
export function createLogger(config: LoggerConfig, destination?: DestinationStream, seams: { now?: () => number; stdout?: DestinationStream } = {}): Logger {
  const now = seams.now ?? Date.now;
  const stdout = seams.stdout ?? 1;
  const options: LoggerOptions = {
    level: config.level,
    redact: {
      paths: ['req.headers.authorization', 'req.headers["proxy-authorization"]', 'req.headers.cookie'],
      censor: '[redacted]',
    },
  };
  const file = destination || !config.filePath ? undefined : logFilePath(config.filePath, now());
  // Standard output is written when there is no file, or with keep_stdout; a given destination replaces it.
  const targets: (string | number | DestinationStream)[] = destination
    ? [destination]
    : [...(file ? [file] : []), ...(!file || config.keepStdout ? [stdout] : [])];
  const streams = targets.map((t) => (config.format === 'text' ? textStream(t) : jsonStream(t)));
  if (streams.length === 1) return pino(options, streams[0]);
  return pino(options, pino.multistream(streams.map((stream) => ({ level: config.level, stream }))));
}

/** `file_path` with `%d` replaced by the time given (RFC 3339, seconds, UTC): Authelia's per-start log file. */
export function logFilePath(filePath: string, now: number): string {
  return filePath.replaceAll('%d', new Date(now).toISOString().replace(/\.\d{3}Z$/, 'Z'));
}

function jsonStream(target: string | number | DestinationStream): DestinationStream {
  if (typeof target === 'object') return target;
  return typeof target === 'string' ? pino.destination({ dest: target, mkdir: true, sync: false }) : pino.destination(target);
}

function textStream(target: string | number | DestinationStream): DestinationStream {
  // Loaded only for the text format: pino-pretty and its dependencies are ~10 MB of RSS that a
  // JSON-logging gateway never uses (issue 14). It is CommonJS: required synchronously.
  const pretty = createRequire(import.meta.url)('pino-pretty') as typeof pinoPretty;
  return pretty({
    destination: typeof target === 'string' ? pino.destination({ dest: target, mkdir: true, sync: true }) : target,
    sync: true,
    colorize: false,
    translateTime: 'SYS:yyyy-mm-dd HH:MM:ss.l o',
    ignore: 'pid,hostname',
    singleLine: true,
  });
}
