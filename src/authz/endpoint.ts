import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type {
  ContextConfigDefault,
  FastifyRequest,
  RawReplyDefaultExpression,
  RawRequestDefaultExpression,
  RawServerDefault,
  RouteGenericInterface,
  RouteHandlerMethod,
} from 'fastify';
import { Type } from 'typebox';
import { type RequestView, requestViewOf } from '../shared/http/request-view.js';
import type { Authorizer, AuthzQuery } from './evaluate.js';
import { ForwardedHeaderError, ForwardedHeaders } from './headers.js';
import type { Authority } from '../shared/authority.js';
import { parseBasic } from './basic-strategy.js';
import { type Flavour, refuse, respond } from './respond.js';

/** What the forward-auth endpoints are given by server/. */
export interface AuthzDeps {
  readonly authorizer: Authorizer;
}

/** Query string accepted by the endpoints (anything else is ignored). */
export const authzQuerySchema = Type.Object({
  authelia_url: Type.Optional(Type.String({ maxLength: 2048 })),
  portal_url: Type.Optional(Type.String({ maxLength: 2048 })),
  rd: Type.Optional(Type.String({ maxLength: 2048 })),
  auth: Type.Optional(Type.String({ maxLength: 16 })),
});

/** What every forward-auth route validates before its handler runs. */
export interface AuthzSchema {
  querystring: typeof authzQuerySchema;
}

/** A forward-auth request, its query typed by {@link authzQuerySchema}. */
export type AuthzRequest = FastifyRequest<RouteGenericInterface, RawServerDefault, RawRequestDefaultExpression, AuthzSchema, TypeBoxTypeProvider>;

/** The handler of a forward-auth route (schema {@link AuthzSchema}). */
export type AuthzHandler = RouteHandlerMethod<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  RouteGenericInterface,
  ContextConfigDefault,
  AuthzSchema,
  TypeBoxTypeProvider
>;

/**
 * Reads one flavour's headers into a query; throws ForwardedHeaderError naming a bad header.
 * `view` holds what the listener already read of the request (host, `X-Forwarded-Host/Proto`,
 * client IP): flavours take those from it, never from the raw headers again.
 */
export type QueryReader = (request: AuthzRequest, headers: ForwardedHeaders, view: RequestView) => AuthzQuery;

/**
 * The handler shared by every flavour: only a trusted proxy's forwarded headers are read, a
 * bad header is answered before any session or rule is looked at, and the verdict is rendered
 * by `respond`.
 */
export function authzHandler(deps: AuthzDeps, flavour: Flavour, read: QueryReader): AuthzHandler {
  return async (request, reply) => {
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
export function cookiesOf(request: Pick<FastifyRequest, 'cookies'>): (name: string) => string | undefined {
  return (name) => request.cookies[name];
}

/**
 * What an `Authorization` header carries: Basic credentials (one factor), or — any other
 * scheme — the header itself, which the Authorizer reads for a `Bearer` access token.
 */
export function credentials(authorization: string | undefined): Pick<AuthzQuery, 'basic' | 'authorization'> {
  return { basic: parseBasic(authorization), authorization };
}

/** The `authelia_url` / `portal_url` query override. */
export function portalOverride({ query }: AuthzRequest): string | undefined {
  return query.portal_url ?? query.authelia_url;
}
