import { type FastifyReply, type FastifyRequest, LogController } from 'fastify';

/**
 * One `debug` line per finished request (method, path, status, time) instead of fastify's two
 * `info` lines: a gateway answers thousands of checks a second, and the interesting events
 * (logins, denials, errors) are logged where they happen.
 */
export class RequestLogController extends LogController {
  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (!error && !(reply.log as { isLevelEnabled?: (level: string) => boolean }).isLevelEnabled?.('debug')) return;
    const entry = {
      method: request.method,
      path: request.url.split('?')[0],
      status: reply.statusCode,
      ms: Math.round(reply.elapsedTime * 10) / 10,
      ip: request.ip,
    };
    if (error) reply.log.error({ ...entry, err: error }, 'request failed');
    else reply.log.debug(entry, 'request');
  }
}
