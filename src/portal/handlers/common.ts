import type { FastifyReply, FastifyRequest } from 'fastify';
import { requestViewOf } from '../../shared/http/request-view.js';
import type { PortalDeps } from '../deps.js';
import type { PageChrome } from '../html/pages.js';
import type { NextStep } from '../actions/next-step.js';
import type { RequestMeta } from '../actions/first-factor.js';

export const chrome = (deps: PortalDeps): PageChrome => ({ productName: deps.productName, theme: deps.theme });

export function meta(request: FastifyRequest): RequestMeta {
  return { ip: requestViewOf(request.raw).ip, method: request.method, uri: request.url };
}

/** `/path?rd=…&rm=…`, leaving out empty values. */
export function withTarget(path: string, rd: string | undefined, rm?: string | undefined): string {
  const query = new URLSearchParams();
  if (rd) query.set('rd', rd);
  if (rm) query.set('rm', rm);
  const text = query.toString();
  return text ? `${path}?${text}` : path;
}

/** Where a form post goes next (303, so the browser follows with GET). */
export function nextLocation(next: NextStep, rm?: string): string {
  switch (next.kind) {
    case 'redirect':
      return next.url.href;
    case 'second-factor':
      return withTarget('/2fa', next.target?.href, rm);
    case 'authenticated':
      return '/authenticated';
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
  return reply.status(status).send({ status: 'KO', message });
}

/** Query parameters the portal pages read. */
export interface TargetQuery {
  rd?: string;
  rm?: string;
  /** `login`: show the login form even to a signed-in user (OpenID Connect `prompt=login`, `max_age`). */
  prompt?: string;
}

export const targetQuerySchema = {
  type: 'object',
  properties: { rd: { type: 'string', maxLength: 8192 }, rm: { type: 'string', maxLength: 16 }, prompt: { type: 'string', maxLength: 16 } },
} as const;
