import { createRequire } from 'node:module';
import { pino, type DestinationStream, type Logger } from 'pino';
import type pinoPretty from 'pino-pretty';
import type { LogConfig } from '../config/log.js';

/**
 * The process logger (pino, which fastify uses too). `text` renders one readable line per
 * entry; `json` one JSON object per line. Secrets in request headers are redacted.
 */
export function createLogger(config: Pick<LogConfig, 'level' | 'format' | 'filePath'>, destination?: DestinationStream): Logger {
  const target = destination ?? (config.filePath ? pino.destination({ dest: config.filePath, mkdir: true, sync: false }) : undefined);
  const options = {
    level: config.level,
    redact: {
      paths: ['req.headers.authorization', 'req.headers["proxy-authorization"]', 'req.headers.cookie'],
      censor: '[redacted]',
    },
  };
  if (config.format === 'text') {
    // Loaded only for the text format: pino-pretty and its dependencies are ~10 MB of RSS that a
    // JSON-logging gateway never uses (issue 14). It is CommonJS: required synchronously.
    const pretty = createRequire(import.meta.url)('pino-pretty') as typeof pinoPretty;
    return pino(
      options,
      pretty({
        destination: target ?? 1,
        sync: true,
        colorize: false,
        translateTime: 'SYS:yyyy-mm-dd HH:MM:ss.l o',
        ignore: 'pid,hostname',
        singleLine: true,
      }),
    );
  }
  return target ? pino(options, target) : pino(options);
}
