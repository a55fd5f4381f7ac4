import type { FastifyReply, FastifyRequest, RouteHandlerMethod } from 'fastify';
import { type RequestView, requestViewOf } from '../shared/http/request-view.js';
import type { Authorizer, AuthzQuery } from './evaluate.js';
import { ForwardedHeaderError, ForwardedHeaders } from './headers.js';
import type { Authority } from '../shared/authority.js';
import { type Flavour, refuse, respond } from './respond.js';

/** What the forward-auth endpoints are given by server/. */
export interface AuthzDeps {
  readonly authorizer: Authorizer;
}

/**
 * Reads one flavour's headers into a query; throws ForwardedHeaderError naming a bad header.
 * `view` holds what the listener already read of the request (host, `X-Forwarded-Host/Proto`,
 * client IP): flavours take those from it, never from the raw headers again.
 */
export type QueryReader = (request: FastifyRequest, headers: ForwardedHeaders, view: RequestView) => AuthzQuery;

/**
 * The handler shared by every flavour: only a trusted proxy's forwarded headers are read, a
 * bad header is answered before any session or rule is looked at, and the verdict is rendered
 * by `respond`.
 */
export function authzHandler(deps: AuthzDeps, flavour: Flavour, read: QueryReader): RouteHandlerMethod {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const view = requestViewOf(request.raw);
    if (!view.trusted) {
      return refuse(request, reply, flavour, `the peer ${view.peer} is not in server.trusted_proxies, so its forwarded headers are not believed`);
    }
    let query: AuthzQuery;
    try {
      query = read(request, new ForwardedHeaders(request.raw), view);
    } catch (error) {
      if (error instanceof ForwardedHeaderError) return refuse(request, reply, flavour, error.message);
      throw error;
    }
    const verdict = await deps.authorizer.evaluate(query);
    return respond(request, reply, flavour, verdict, query.method);
  };
}

/** The authority a flavour requires (`X-Forwarded-Host` or `Host`), already parsed by the listener. */
export function requiredHost(name: string, authority: Authority | undefined): Authority {
  if (authority === undefined) throw new ForwardedHeaderError(name, 'is missing');
  return authority;
}

/** The session cookie reader of a request. */
export function cookiesOf(request: FastifyRequest): (name: string) => string | undefined {
  return (name) => request.cookies[name];
}

/** The `authelia_url` / `portal_url` query override. */
export function portalOverride(request: FastifyRequest): string | undefined {
  const query = request.query as { authelia_url?: string; portal_url?: string };
  return query.portal_url ?? query.authelia_url;
}

/** Query string accepted by the endpoints (anything else is ignored). */
export const authzQuerySchema = {
  type: 'object',
  properties: {
    authelia_url: { type: 'string', maxLength: 2048 },
    portal_url: { type: 'string', maxLength: 2048 },
    rd: { type: 'string', maxLength: 2048 },
    auth: { type: 'string', maxLength: 16 },
  },
} as const;
