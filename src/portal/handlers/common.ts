import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type {
  ContextConfigDefault,
  FastifyReply,
  FastifyRequest,
  FastifySchema,
  RawReplyDefaultExpression,
  RawRequestDefaultExpression,
  RawServerDefault,
  RouteGenericInterface,
  RouteHandlerMethod,
} from 'fastify';
import { sendKo } from '../../shared/http/ko.js';
import { Type } from 'typebox';
import { ownPath } from '../../shared/base-path.js';
import { requestViewOf } from '../../shared/http/request-view.js';
import type { PortalDeps } from '../deps.js';
import type { PageChrome } from '../html/pages.js';
import type { NextStep } from '../actions/next-step.js';
import type { RequestMeta } from '../actions/first-factor.js';

export const chrome = (deps: PortalDeps): PageChrome => ({ productName: deps.productName, theme: deps.theme, base: deps.basePath });

export function meta(request: Pick<FastifyRequest, 'raw' | 'method' | 'url'>): RequestMeta {
  const agent = request.raw.headers['user-agent'] ?? '';
  return { ip: requestViewOf(request.raw).ip, method: request.method, uri: request.url, userAgent: agent.slice(0, 256) };
}

/** `/path?rd=…&rm=…`, leaving out empty values. */
export function withTarget(path: string, rd: string | undefined, rm?: string | undefined): string {
  const query = new URLSearchParams();
  if (rd) query.set('rd', rd);
  if (rm) query.set('rm', rm);
  const text = query.toString();
  return text ? `${path}?${text}` : path;
}

/**
 * The portal's own page `path` (`/2fa`) under `server.path` (shared/base-path.ts), with
 * `?rd=…&rm=…` when given: every redirect of the portal to itself is built here.
 */
export function own(deps: Pick<PortalDeps, 'basePath'>, path: string, rd?: string | undefined, rm?: string | undefined): string {
  return withTarget(ownPath(deps.basePath, path), rd, rm);
}

/** Where a form post goes next (303, so the browser follows with GET). */
export function nextLocation(deps: Pick<PortalDeps, 'basePath'>, next: NextStep, rm?: string): string {
  switch (next.kind) {
    case 'redirect':
      return next.url.href;
    case 'second-factor':
      return own(deps, '/2fa', next.target?.href, rm);
    case 'authenticated':
      return own(deps, '/authenticated');
  }
}

/** Authelia's JSON envelope for a step that succeeded. */
export function okJson(next?: NextStep): { status: 'OK'; data?: { redirect: string } } {
  return next?.kind === 'redirect' ? { status: 'OK', data: { redirect: next.url.href } } : { status: 'OK' };
}

export function sendPage(reply: FastifyReply, status: number, body: string): FastifyReply {
  return reply.status(status).type('text/html; charset=utf-8').send(body);
}

export function ko(reply: FastifyReply, status: number, message: string): FastifyReply {
  return sendKo(reply, status, message);
}

/**
 * A portal route handler whose request is typed by its route's schema `S` (TypeBox): `request.body`,
 * `.query` and `.params` are what `S` validated, read without a cast. The route table pairs each
 * handler with that same schema, and the compiler refuses a pairing that does not match.
 */
export type Handler<S extends FastifySchema = FastifySchema> = RouteHandlerMethod<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  RouteGenericInterface,
  ContextConfigDefault,
  S,
  TypeBoxTypeProvider
>;

/** Query parameters the portal pages read. */
export const targetQuerySchema = Type.Object({
  rd: Type.Optional(Type.String({ maxLength: 8192 })),
  rm: Type.Optional(Type.String({ maxLength: 16 })),
  /** `login`: show the login form even to a signed-in user (OpenID Connect `prompt=login`, `max_age`). */
  prompt: Type.Optional(Type.String({ maxLength: 16 })),
});

/** What a portal page (`GET`, {@link targetQuerySchema}) reads. */
export type PageHandler = Handler<{ querystring: typeof targetQuerySchema }>;
