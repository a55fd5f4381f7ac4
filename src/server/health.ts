import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * `GET /api/health`: 200 `{"status":"OK"}` once the gateway is serving (storage open,
 * listener bound). Same shape as Authelia's, so existing health checks keep working.
 */
export async function healthGET(_request: FastifyRequest, reply: FastifyReply): Promise<void> {
  await reply.header('cache-control', 'no-store').send({ status: 'OK' });
}
