import { readFileSync } from 'node:fs';
import { Type } from 'typebox';
import { sendKo } from '../../shared/http/ko.js';
import type { Handler } from './common.js';

interface StaticFile {
  readonly type: string;
  readonly body: Buffer;
}

/** The files served, by name: their media type and content. */
const files = new Map(
  Object.entries({ 'portal.css': 'text/css; charset=utf-8', 'portal.js': 'text/javascript; charset=utf-8' }).map(([name, type]): [string, StaticFile] => [
    name,
    { type, body: readFileSync(new URL(`../static/${name}`, import.meta.url)) },
  ]),
);

export const staticParamsSchema = Type.Object({ file: Type.String() });

/** `GET /static/:file`: the portal's stylesheet and script, read once at start. */
export const staticGET: Handler<{ params: typeof staticParamsSchema }> = async (request, reply) => {
  const { file } = request.params;
  const entry = files.get(file);
  if (!entry) return sendKo(reply, 404, 'Not found');
  return reply.header('cache-control', 'public, max-age=3600').header('x-content-type-options', 'nosniff').type(entry.type).send(entry.body);
};
