import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Type } from 'typebox';
import { sendKo } from '../../shared/http/ko.js';
import type { Handler } from './common.js';

interface StaticFile {
  readonly type: string;
  readonly body: Buffer;
}

const script = 'text/javascript; charset=utf-8';

/**
 * `@simplewebauthn/browser`'s own browser bundle (it defines `SimpleWebAuthnBrowser`), read from
 * the installed package: served by us, never from a CDN, and the version the lock file pins.
 */
function simpleWebAuthnBundle(): Buffer {
  const entry = createRequire(import.meta.url).resolve('@simplewebauthn/browser');
  return readFileSync(join(dirname(entry), '..', 'dist', 'bundle', 'index.umd.min.js'));
}

const ours = (name: string) => readFileSync(new URL(`../static/${name}`, import.meta.url));

/** The files served, by name: their media type and content, read once at start. */
const files = new Map<string, StaticFile>([
  ['portal.css', { type: 'text/css; charset=utf-8', body: ours('portal.css') }],
  ['portal.js', { type: script, body: ours('portal.js') }],
  ['webauthn.js', { type: script, body: ours('webauthn.js') }],
  ['simplewebauthn.js', { type: script, body: simpleWebAuthnBundle() }],
]);

export const staticParamsSchema = Type.Object({ file: Type.String() });

/** `GET /static/:file`: the portal's stylesheet and scripts. */
export const staticGET: Handler<{ params: typeof staticParamsSchema }> = async (request, reply) => {
  const { file } = request.params;
  const entry = files.get(file);
  if (!entry) return sendKo(reply, 404, 'Not found');
  return reply.header('cache-control', 'public, max-age=3600').header('x-content-type-options', 'nosniff').type(entry.type).send(entry.body);
};
