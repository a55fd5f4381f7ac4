/**
 * What each OpenID Connect route reads, declared once as a TypeBox schema: fastify validates it
 * (ajv, no type coercion) before the handler runs, and the handler's request is typed by it.
 * Parameters are strings (RFC 6749 §3.1, §3.2); a request that fails its schema is answered
 * `invalid_request` in the OAuth shape by the route's error handler (render.ts), never with
 * fastify's own error body.
 */
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type {
  ContextConfigDefault,
  FastifySchema,
  RawReplyDefaultExpression,
  RawRequestDefaultExpression,
  RawServerDefault,
  RouteGenericInterface,
  RouteHandlerMethod,
} from 'fastify';
import { Type } from 'typebox';

/** An OpenID Connect route handler whose request is typed by its route's schema `S`. */
export type OidcHandler<S extends FastifySchema> = RouteHandlerMethod<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  RouteGenericInterface,
  ContextConfigDefault,
  S,
  TypeBoxTypeProvider
>;

/** Discovery and keys read no parameter; any sent are ignored. */
export const noParameters = Type.Object({});

/**
 * Authorization request parameters: the query of a GET, the form of a POST (RFC 6749 §3.1,
 * OIDC Core §3.1.2.1). A repeated parameter arrives as a list and passes here: the checks refuse
 * it (authorization/context.ts), by redirecting once the client's redirect URI is trusted.
 */
export const authorizationParameters = Type.Record(Type.String(), Type.Union([Type.String(), Type.Array(Type.String())]));

/** A POST without a body has no parameters (and is refused for naming no client). */
export const authorizationForm = Type.Union([authorizationParameters, Type.Null()]);

/**
 * Token request parameters (RFC 6749 §3.2, §4.1.3): each sent at most once, so each a single
 * string; unknown ones are ignored. Only form bodies get this far (token.ts `formEncodedOnly`).
 */
export const tokenForm = Type.Record(Type.String(), Type.String());

/**
 * UserInfo POST body: the bearer token may come as the form's `access_token` (RFC 6750 §2.2),
 * other fields are ignored. A request with the token in its header may have no body, or a text
 * one (`fetch` sends `text/plain` for an empty string): neither carries a token.
 */
export const userinfoForm = Type.Union([Type.Object({ access_token: Type.Optional(Type.String()) }), Type.Null(), Type.String()]);

/** The header the userinfo endpoint reads: the bearer token (RFC 6750 §2.1). */
export const userinfoHeaders = Type.Object({ authorization: Type.Optional(Type.String()) });

/** The headers the token route reads: client credentials (RFC 6749 §2.3.1) and the body's type. */
export const tokenHeaders = Type.Object({ authorization: Type.Optional(Type.String()), 'content-type': Type.Optional(Type.String()) });

/**
 * Introspection (RFC 7662 §2.1) and revocation (RFC 7009 §2.1) parameters: `token`,
 * `token_type_hint` and the client's credentials, each sent at most once; unknown ones are
 * ignored. `token` is required by the handlers, after client authentication.
 */
export const tokenCheckForm = Type.Record(Type.String(), Type.String());

/**
 * End-session request parameters (RP-Initiated Logout 1.0 §2): the query of a GET, the form of a
 * POST, and the confirmation form (which carries only `client_id`, `post_logout_redirect_uri`
 * and `state`, once checked). Each sent at most once (a repeated one arrives as a list and is
 * refused); unknown ones are ignored. `logout_hint` and `ui_locales` are accepted and not used.
 */
export const endSessionParameters = Type.Object({
  id_token_hint: Type.Optional(Type.String({ maxLength: 16_384 })),
  client_id: Type.Optional(Type.String({ maxLength: 1024 })),
  post_logout_redirect_uri: Type.Optional(Type.String({ maxLength: 8192 })),
  state: Type.Optional(Type.String({ maxLength: 2048 })),
  logout_hint: Type.Optional(Type.String({ maxLength: 1024 })),
  ui_locales: Type.Optional(Type.String({ maxLength: 256 })),
});

/** A POST without a body is a request with no parameters. */
export const endSessionForm = Type.Union([endSessionParameters, Type.Null()]);

/** The header the CORS preflight reads. */
export const preflightHeaders = Type.Object({ origin: Type.Optional(Type.String()) });
