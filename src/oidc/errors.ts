import { GatehouseError, isTemporarilyUnavailable } from '../shared/errors.js';

/**
 * Every OAuth 2.0 / OpenID Connect error the provider returns, declared once (RFC 6749 §4.1.2.1,
 * §5.2; OIDC Core §3.1.2.6; RFC 6750 §3.1). `error` is the wire code, `description` the text sent
 * as `error_description` (never internal detail), `status` the HTTP status where one applies.
 */
export class OAuthError extends GatehouseError {
  readonly error: string;
  readonly description: string;
  /**
   * The technical detail behind the error (a library's reason, an internal failure's message):
   * logged, and sent as `error_debug` only with `enable_client_debug_messages` (render.ts).
   */
  debug: string | undefined;

  constructor(error: string, description: string, status = 400) {
    super('GH_OAUTH', `${error}: ${description}`, { status });
    this.error = error;
    this.description = description;
  }

  /** Attaches the detail `error_debug` may carry; returns the error, to be thrown. */
  withDebug(detail: string): this {
    this.debug = detail;
    return this;
  }
}

const kind = (error: string, status = 400) =>
  class extends OAuthError {
    constructor(description: string) {
      super(error, description, status);
    }
  };

export class InvalidRequest extends kind('invalid_request') {}
/** Client authentication failed (RFC 6749 §5.2): 401, with `WWW-Authenticate` when Basic was tried. */
export class InvalidClient extends kind('invalid_client', 401) {}
export class InvalidGrant extends kind('invalid_grant') {}
export class UnauthorizedClient extends kind('unauthorized_client') {}
export class UnsupportedGrantType extends kind('unsupported_grant_type') {}
export class UnsupportedResponseType extends kind('unsupported_response_type') {}
export class InvalidScope extends kind('invalid_scope') {}
export class AccessDenied extends kind('access_denied', 403) {}
export class LoginRequired extends kind('login_required') {}
export class ConsentRequired extends kind('consent_required') {}
export class InteractionRequired extends kind('interaction_required') {}
export class RequestNotSupported extends kind('request_not_supported') {}
export class RequestUriNotSupported extends kind('request_uri_not_supported') {}
/** A `request` object that is not a JWT signed as the client must sign it (OIDC Core §3.1.2.6). */
export class InvalidRequestObject extends kind('invalid_request_object') {}
/** Bearer token missing, unknown, expired or revoked (RFC 6750 §3.1). */
export class InvalidToken extends kind('invalid_token', 401) {}
export class InsufficientScope extends kind('insufficient_scope', 403) {}
/** What every unexpected failure becomes on the wire; the cause goes only to the log. */
export class ServerError extends kind('server_error', 500) {}
/**
 * A store the provider needs (PostgreSQL, Redis) cannot answer now (StoreUnavailableError):
 * RFC 6749 §4.1.2.1 defines `temporarily_unavailable` for the authorization endpoint; Gatehouse
 * answers it with 503 at the token, userinfo, introspection and revocation endpoints as well
 * (RFC 6749 §5.2 and RFC 6750 §3.1 list no such code: a client that does not know it still sees
 * a 503 and an `error`), so a client can tell "try again" from "refused".
 */
export class TemporarilyUnavailable extends kind('temporarily_unavailable', 503) {}

/**
 * The authorization request cannot be answered by redirecting (unknown client, unregistered or
 * missing `redirect_uri`): RFC 6749 §4.1.2.1 and RFC 9700 §4.11 require an error page instead.
 */
export class UnredirectableError extends OAuthError {
  constructor(error: string, description: string) {
    super(error, description, 400);
  }
}

/**
 * The error to send for anything thrown: OAuth errors as they are, a store lost while running as
 * `temporarily_unavailable`, everything else as `server_error`.
 */
export function asOAuthError(error: unknown): OAuthError {
  if (error instanceof OAuthError) return error;
  // A lost store, or password hashing at its limit (client secrets are password digests).
  if (isTemporarilyUnavailable(error)) return new TemporarilyUnavailable(error.message);
  return new ServerError('The server could not complete the request.').withDebug(error instanceof Error ? error.message : String(error));
}
