import type { OidcClientConfig } from '../../config/oidc.js';
import type { SessionCookieConfig } from '../../config/session.js';
import type { Session } from '../../session/session.js';
import type { PendingAuthorization } from '../../storage/oidc-repositories.js';
import type { OidcDeps } from '../deps.js';
import { InvalidRequest } from '../errors.js';
import type { ResponseMode } from '../response-mode.js';

/** Raw request parameters: repeated ones arrive as lists (and are refused). */
export type RawParameters = Record<string, string | string[] | undefined>;

/** One authorization request as the checks fill it in, in order. */
export interface AuthorizationContext {
  readonly deps: OidcDeps;
  readonly issuer: string;
  /** `GET` or `POST`: decides 302 or 303 for query responses. */
  readonly method: string;
  readonly now: number;
  readonly cookie: SessionCookieConfig;
  readonly session: Session | undefined;
  params: RawParameters;
  /** Set when the request resumes after login or consent (`flow_id`). */
  flowId: string | undefined;
  pending: PendingAuthorization | undefined;
  client: OidcClientConfig | undefined;
  /** Set once the redirect URI is known to be registered: from then on errors are redirected. */
  redirectUri: string | undefined;
  responseMode: ResponseMode;
  scopes: string[];
  prompts: Set<string>;
  loginAfter: number | undefined;
  hintSubject: string | undefined;
  codeChallenge: string | undefined;
  codeChallengeMethod: 'S256' | 'plain' | undefined;
  /** The `claims` parameter as sent, once checked (OIDC Core §5.5). */
  claimsRequest: string | undefined;
  /** `Set-Cookie` values to send (a forced re-authentication clears the session). */
  readonly setCookies: string[];
}

/** What a check may end the request with instead of going on: a redirect to login or consent. */
export interface Interaction {
  readonly redirect: string;
}

/** One named step of the authorization endpoint; throws an OAuthError to refuse. */
// biome-ignore lint/suspicious/noConfusingVoidType: most checks return nothing (they throw to refuse); some return an interaction
export type Check = (ctx: AuthorizationContext) => Interaction | void | Promise<Interaction | void>;

/** A single-valued parameter; a repeated one is `invalid_request` (RFC 6749 §3.1). */
export function param(ctx: AuthorizationContext, name: string): string | undefined {
  const value = ctx.params[name];
  if (Array.isArray(value)) throw new InvalidRequest(`The parameter '${name}' must not be repeated.`);
  return value;
}

/** The request's parameters as plain strings, for storing a pending request. */
export function plainParameters(ctx: AuthorizationContext): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(ctx.params)) if (typeof value === 'string' && name !== 'flow_id') out[name] = value;
  return out;
}
