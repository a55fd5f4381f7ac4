import { readFileSync } from 'node:fs';
import type { RouteHandlerMethod } from 'fastify';

const files: Record<string, { type: string; body: Buffer }> = Object.fromEntries(
  (
    [
      ['portal.css', 'text/css; charset=utf-8'],
      ['portal.js', 'text/javascript; charset=utf-8'],
    ] as const
  ).map(([name, type]) => [name, { type, body: readFileSync(new URL(`../static/${name}`, import.meta.url)) }]),
);

/** `GET /static/:file`: the portal's stylesheet and script, read once at start. */
export const staticGET: RouteHandlerMethod = async (request, reply) => {
  const { file } = request.params as { file: string };
  const entry = Object.hasOwn(files, file) ? files[file] : undefined;
  if (!entry) return reply.status(404).send({ status: 'KO', message: 'Not found' });
  return reply.header('cache-control', 'public, max-age=3600').header('x-content-type-options', 'nosniff').type(entry.type).send(entry.body);
};
