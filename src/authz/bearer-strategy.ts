import type { Identity, UserBackend } from '../auth/users/user.js';
import { bearerAuthzScopes, type OidcClientConfig } from '../config/oidc-client.js';
import { AuthLevel } from '../rules/policy.js';
import type { Subject } from '../rules/subject.js';
import type { Target } from '../rules/target.js';
import type { Authority } from '../shared/authority.js';
import { audienceCovers } from './bearer-audience.js';

/**
 * What the OpenID Connect provider says of an access token it issued. Declared here so that
 * authz/ never imports the provider: oidc/token-check.ts implements {@link AccessTokens} and
 * server/authz-deps.ts hands it to the Authorizer.
 */
export interface AccessTokenFacts {
  readonly clientId: string;
  /** The user who granted it; `''` for a `client_credentials` token. */
  readonly username: string;
  readonly scopes: readonly string[];
  /** The granted audience (client `audience`, or the subset the client asked for). */
  readonly audience: readonly string[];
  /** How the user authenticated (RFC 8176: `pwd`, `otp`, `mfa`); empty for a client. */
  readonly amr: readonly string[];
}

/** The provider's view of access tokens. */
export interface AccessTokens {
  /**
   * The facts of `token` when it is an active access token — opaque, or a JWT whose signature
   * verifies — known, unexpired, unrevoked, its client still registered and its user still
   * enabled; undefined for anything else.
   */
  activeAccessToken(token: string): Promise<AccessTokenFacts | undefined>;
}

/** Who a bearer token speaks for, once accepted. */
export interface BearerPrincipal {
  /** `oauth2:client:<id>` matches a client's own token; a user's token is the user (Authelia §2). */
  readonly subject: Omit<Subject, 'ip'>;
  /** Client credentials count as one factor; a user's token as the factors the user used. */
  readonly level: AuthLevel;
  /** The user's identity for the `Remote-*` headers; none for a client (as Authelia). */
  readonly identity: Identity | undefined;
}

/** Checks a bearer token for one request; `reason` is for the log only. */
export type BearerCheck = (
  token: string,
  request: { readonly target: Target; readonly authority: Authority },
) => Promise<{ readonly ok: true; readonly principal: BearerPrincipal } | { readonly ok: false; readonly reason: string }>;

/**
 * Bearer authorisation at forward-auth and in proxy mode (Authelia's "OAuth 2.0 Bearer Token
 * Usage"). The token is accepted when the provider finds it active and:
 * - it carries `gatehouse.bearer.authz` or `authelia.bearer.authz`, and its client is still
 *   registered with one of them;
 * - its granted audience covers the target URL, and so does the client's current `audience`
 *   (a client losing an audience loses it for the tokens it holds) — bearer-audience.ts;
 * - a user's token: the user still exists (their groups are read fresh, as Authelia does).
 */
export function bearerChecker(deps: {
  readonly tokens: AccessTokens;
  readonly clients: ReadonlyMap<string, Pick<OidcClientConfig, 'scopes' | 'audience'>>;
  readonly users: Pick<UserBackend, 'get'>;
}): BearerCheck {
  return async (token, { target, authority }) => {
    const facts = await deps.tokens.activeAccessToken(token);
    if (!facts) return refuse('the bearer token is unknown, expired, revoked or malformed');
    const client = deps.clients.get(facts.clientId);
    if (!facts.scopes.some((s) => bearerAuthzScopes.includes(s)))
      return refuse(`the bearer token of '${facts.clientId}' lacks the scope gatehouse.bearer.authz`);
    if (!client?.scopes.some((s) => bearerAuthzScopes.includes(s)))
      return refuse(`the client '${facts.clientId}' is no longer registered for bearer authorisation`);
    if (!audienceCovers(facts.audience, target, authority)) return refuse(`no audience of the bearer token of '${facts.clientId}' covers '${target.url}'`);
    if (!audienceCovers(client.audience, target, authority))
      return refuse(`the client '${facts.clientId}' is no longer registered for an audience covering '${target.url}'`);
    if (facts.username === '') {
      return { ok: true, principal: { subject: { username: '', groups: [], clientId: facts.clientId }, level: AuthLevel.oneFactor, identity: undefined } };
    }
    const user = await deps.users.get(facts.username);
    if (!user) return refuse(`the user '${facts.username}' of the bearer token no longer exists`);
    const level = isMultiFactor(facts.amr) ? AuthLevel.twoFactor : AuthLevel.oneFactor;
    return { ok: true, principal: { subject: { username: user.username, groups: user.groups, clientId: '' }, level, identity: user } };
  };
}

function refuse(reason: string): { ok: false; reason: string } {
  return { ok: false, reason };
}

/** Two factors: `mfa`, or a password with a one-time code or a key (RFC 8176). */
function isMultiFactor(amr: readonly string[]): boolean {
  return amr.includes('mfa') || (amr.includes('pwd') && ['otp', 'hwk', 'swk'].some((m) => amr.includes(m)));
}

/**
 * Reads `Bearer <token>` (RFC 6750 §2.1, the scheme in any case). Absent header or another
 * scheme (Basic) → undefined; a Bearer header whose token is not a `b64token` → `'malformed'`.
 */
export function parseBearer(header: string | undefined): string | 'malformed' | undefined {
  if (header === undefined || !/^bearer(?:\s|$)/i.test(header)) return undefined;
  return /^bearer +([A-Za-z0-9\-._~+/]+=*) *$/i.exec(header)?.[1] ?? 'malformed';
}

/** The RFC 6750 §3 errors a bearer request gets here (`insufficient_user_authentication`: RFC 9470). */
export type BearerError = 'invalid_request' | 'invalid_token' | 'insufficient_user_authentication';

/** A `WWW-Authenticate: Bearer` challenge (RFC 6750 §3); the description is generic, the detail is logged. */
export function bearerChallenge(error: BearerError): string {
  const descriptions: Record<BearerError, string> = {
    invalid_request: 'Send either a session cookie or a bearer token, not both.',
    invalid_token: 'The access token is invalid, expired or revoked, or not valid for this resource.',
    insufficient_user_authentication: 'The user of the access token did not authenticate strongly enough for this resource.',
  };
  return `Bearer error="${error}", error_description="${descriptions[error]}"`;
}
