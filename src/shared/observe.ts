/**
 * What Gatehouse tells about itself as it runs: the one seam between the places where things
 * happen (a login, a ban, a token, a logout, an authorisation decision) and the two things that
 * listen — the audit log and the Prometheus metrics (server/observer.ts builds the listener).
 *
 * Domain and HTTP code hold an {@link Observer} and call it in one line where the thing
 * happens; they never format a log line or touch a metric themselves. Events carry names,
 * addresses and outcomes only: never a password, a session ID, a token, a code or a secret.
 */

/** How someone proved who they are: a password (first factor, HTTP Basic too), an app code, a security key, a passkey. */
export type AuthnMethod = '1fa' | 'totp' | 'webauthn' | 'passkey';

/** Why a session ended (mirrors session/session.ts `SessionEndReason`, which is checked against it). */
export type EndReason = 'logout' | 'logout-everywhere' | 'rp-logout' | 'expired' | 'revoked' | 'user-changed' | 'invalid';

/** The grant types of the token endpoint. */
export type TokenGrant = 'authorization_code' | 'refresh_token' | 'client_credentials';

/** Why OpenID Connect tokens were revoked. */
export type RevocationReason = 'revocation_endpoint' | 'code_reuse' | 'refresh_token_reuse' | 'app_revoked' | 'session_ended' | 'user_removed';

/** The notable events: each is one audit line and moves one counter. */
export type ObservedEvent =
  /** An authentication attempt, whatever the method (auth/regulation/regulator.ts sees them all). */
  | {
      readonly event: 'authn';
      readonly method: AuthnMethod;
      readonly outcome: 'success' | 'failure' | 'banned';
      readonly username: string;
      readonly ip: string;
    }
  /** A ban written by regulation. `until` in ms since the epoch. */
  | { readonly event: 'ban'; readonly scope: 'user' | 'ip'; readonly username: string; readonly ip: string; readonly until: number }
  /** Consent at the consent page (`granted`, `denied`) or an app's access removed by its user (`revoked`). */
  | { readonly event: 'consent'; readonly action: 'granted' | 'denied' | 'revoked'; readonly username: string; readonly clientId: string }
  /** Tokens issued at the token endpoint. */
  | { readonly event: 'token_issued'; readonly grant: TokenGrant; readonly username: string; readonly clientId: string }
  /** Tokens revoked: one token, or grants with all their tokens; `count` is how many the store revoked (tokens, or grants for `session_ended`, `user_removed` and `app_revoked`). */
  | { readonly event: 'token_revoked'; readonly reason: RevocationReason; readonly username: string; readonly clientId: string; readonly count: number }
  /** A sign-out the user asked for: at the portal, everywhere, or through an application (RP-initiated). */
  | { readonly event: 'logout'; readonly kind: 'portal' | 'everywhere' | 'rp_initiated'; readonly username: string; readonly clientId?: string | undefined }
  /** A signed-in session ended, however it ended. `session` is the start of the stored hash of its ID. */
  | { readonly event: 'session_ended'; readonly reason: EndReason; readonly username: string; readonly session: string }
  /** A back-channel logout token delivered, one attempt failed, or delivery given up. */
  | { readonly event: 'backchannel_logout'; readonly outcome: 'sent' | 'failed' | 'given_up'; readonly clientId: string; readonly reason?: string | undefined }
  /** The signed-out page served with the front-channel logout frames of these applications. */
  | { readonly event: 'frontchannel_logout'; readonly clientIds: readonly string[] }
  /** A password changed by its user (settings) or reset through an e-mailed link. */
  | {
      readonly event: 'password';
      readonly action: 'change' | 'reset';
      readonly outcome: 'success' | 'failure';
      readonly username: string;
      readonly ip: string;
      readonly reason?: string | undefined;
    }
  /**
   * A session elevation (`identity_validation.elevated_session`): a code sent (`started`), a
   * right code (`granted`), a wrong, expired or used one (`failed`), a code revoked (`revoked`).
   * Never the code.
   */
  | { readonly event: 'elevation'; readonly action: 'started' | 'granted' | 'failed' | 'revoked'; readonly username: string; readonly ip: string }
  /** A second factor added or removed by its user. */
  | { readonly event: 'second_factor'; readonly action: 'added' | 'removed'; readonly method: 'totp' | 'webauthn'; readonly username: string }
  /** A call to a store that could not answer (`storage.postgres`, `session.redis`). Not an audit line: outages are logged once (server/health.ts). */
  | { readonly event: 'store_error'; readonly store: string };

/** The event names, for tables that must list every one (the metrics, the docs test). */
export type ObservedEventName = ObservedEvent['event'];

/** Where a request was answered: the metrics' `group` label. */
export type RequestGroup = 'forward-auth' | 'proxy' | 'portal' | 'oidc' | 'health' | 'other';

/** Who asked for an authorisation decision: a forward-auth flavour, or the built-in proxy. */
export type AuthzAsker = 'forward-auth' | 'auth-request' | 'ext-authz' | 'legacy' | 'proxy';

/** The verdict kinds of authz/evaluate.ts. */
export type AuthzOutcome = 'allow' | 'login' | 'forbidden' | 'invalid';

/** The access-control policies, and `none` when no rule was reached (a malformed request, a refused credential). */
export type AuthzPolicy = 'bypass' | 'one_factor' | 'two_factor' | 'deny' | 'none';

/**
 * The listener. `authz` and `request` are on the hot path (every forward-auth check and proxied
 * request): they only bump counters, allocate nothing, and cost a method call when metrics are off.
 */
export interface Observer {
  /** Whether `request` wants durations: callers read the clock only then. */
  readonly timed: boolean;
  /** One notable event (an audit line, a counter). */
  event(event: ObservedEvent): void;
  /** One authorisation decision. */
  authz(asker: AuthzAsker, outcome: AuthzOutcome, policy: AuthzPolicy | undefined): void;
  /** One answered request: its group, status and, when {@link timed}, its duration in seconds (else 0). */
  request(group: RequestGroup, status: number, seconds: number): void;
}

/** An observer that does nothing: the default of every component, and what tests get unless they ask. */
export const silentObserver: Observer = {
  timed: false,
  event() {},
  authz() {},
  request() {},
};
