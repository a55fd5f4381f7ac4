import type { FastifyBaseLogger } from 'fastify';
import type { AttemptKind } from '../auth/regulation/regulator.js';
import type { TotpChoice, TotpEnrollment } from '../auth/totp/enrollment.js';
import type { WebAuthnCeremonies } from '../auth/webauthn/ceremonies.js';
import type { ElevatedSessionConfig } from '../config/identity-validation.js';
import type { WebAuthnConfig } from '../config/webauthn.js';
import type { WebAuthnCredential } from '../storage/auth-repositories.js';
import type { Identity } from '../auth/users/user.js';
import type { SessionCookieConfig } from '../config/session.js';
import type { Policy } from '../rules/policy.js';
import type { SessionManager } from '../session/manager.js';
import type { Clock } from '../shared/clock.js';
import type { Observer } from '../shared/observe.js';

/** What the portal needs of the user backend. */
export interface UsersPort {
  /** The user when the password is right; undefined otherwise (unknown, disabled or wrong). */
  checkPassword(login: string, password: string): Promise<Identity | undefined>;
  find(login: string): Promise<Identity | undefined>;
  /** The enabled user named exactly `username` (no case folding, no e-mail lookup). */
  get(username: string): Promise<Identity | undefined>;
}

/** What the portal needs of brute-force regulation. */
export interface RegulationPort {
  check(username: string, ip: string): Promise<{ banned: boolean; until?: number | undefined }>;
  record(attempt: {
    username: string;
    ip: string;
    successful: boolean;
    banned: boolean;
    kind: AttemptKind;
    requestMethod: string;
    requestUri: string;
  }): Promise<void>;
}

/** What the portal needs of TOTP. */
export interface TotpPort {
  has(username: string): Promise<boolean>;
  /** True once per valid code: a replayed code is refused. */
  verify(username: string, code: string): Promise<boolean>;
  /**
   * A fresh key for `username`, not yet saved: plain data, kept sealed in the session until
   * confirmed. With the user's choice among `totp.allowed_*`; undefined when a value is not allowed.
   */
  createEnrollment(username: string, choice?: TotpChoice): TotpEnrollment | undefined;
  /** The values a user may choose at enrolment, the configured default first in each. */
  readonly options: { readonly algorithms: readonly string[]; readonly digits: readonly number[]; readonly periods: readonly number[] };
  /** Saves the key when `code` is valid for it. */
  confirm(enrollment: TotpEnrollment, code: string): Promise<boolean>;
  qrSvg(uri: string): Promise<string>;
  /** Whether another TOTP attempt is allowed now (rate limit). */
  attemptAllowed(username: string): boolean;
  recordFailure(username: string): void;
  /** Deletes the user's authenticator app; false when there was none. */
  remove(username: string): Promise<boolean>;
}

/** Security keys and passkeys (`webauthn`): the ceremonies and the user's registered credentials. */
export interface WebAuthnPort {
  readonly config: WebAuthnConfig;
  readonly ceremonies: WebAuthnCeremonies;
  /** The user's credentials, for one relying party (cookie domain) or all, oldest first. */
  list(username: string, rpId?: string): Promise<WebAuthnCredential[]>;
  rename(username: string, credentialId: string, description: string): Promise<boolean>;
  remove(username: string, credentialId: string): Promise<boolean>;
}

export type SecondFactorMethod = 'totp' | 'webauthn';

/** The second-factor method a user prefers (what the 2FA page offers first). */
export interface PreferencesPort {
  secondFactorMethod(username: string): Promise<SecondFactorMethod | undefined>;
  setSecondFactorMethod(username: string, method: SecondFactorMethod): Promise<void>;
}

/** One-time codes that prove a user reads their e-mail (session elevation, password change). */
export interface IdentityCheckPort {
  /** Milliseconds a code stays valid (`identity_validation.elevated_session.code_lifespan`). */
  readonly lifespan: number;
  issue(username: string, intent: string): Promise<string>;
  /** A code and the ID that revokes it (Authelia's `delete_id`). */
  issueRevocable(username: string, intent: string): Promise<{ code: string; revocationId: string }>;
  /** True once for the active code; a wrong code counts against it (revoked after a few). */
  consume(username: string, intent: string, code: string): Promise<boolean>;
  /** Revokes the active code `revocationId` names; its user, or undefined when there was none. */
  revoke(revocationId: string, intent: string): Promise<string | undefined>;
}

export interface NotifierPort {
  send(message: { to: string; subject: string; text: string; html?: string }): Promise<void>;
}

/** Setting a user's password (reset and change): the `password_policy` and the users file. */
export interface PasswordsPort {
  /** The `password_policy` reasons a password is refused for (each completes "The password …"); empty when it passes. */
  policyReasons(password: string, userInputs: readonly string[]): Promise<readonly string[]>;
  /** The policy in a few words for the form, or undefined when none is enabled. */
  readonly policyText: string | undefined;
  /**
   * Hashes `password` with `authentication_backend.file.password` and writes it to the users file.
   * `beforeWrite` is given the new digest's fingerprint before the file changes (a password
   * change stamps the session it keeps with it, so the reload that follows spares that one).
   * @throws UsersFileWriteError (`GH_USERS_FILE_WRITE`) when the file was left unchanged.
   */
  setPassword(username: string, password: string, beforeWrite?: (fingerprint: string) => Promise<void>): Promise<void>;
}

/** What the "Forgot password?" flow needs (server/portal-deps.ts builds it for the file backend). */
export interface PasswordResetPort {
  /** Milliseconds a reset link stays valid. */
  readonly lifespan: number;
  /** A token for `username` and its hash; nothing stored (done for unknown users too, so both paths do the same work). */
  mint(username: string): { token: string; hash: Buffer };
  store(username: string, hash: Buffer): Promise<void>;
  /** The user of an active token without consuming it; undefined when expired, used, revoked or tampered with. */
  peek(token: string): Promise<string | undefined>;
  /** Consumes an active token atomically and returns its user. */
  consume(token: string): Promise<string | undefined>;
  /** The enabled user named exactly `username`. */
  user(username: string): Promise<Identity | undefined>;
  /** Whether a reset may start now for this IP and this account (its username, else the login as typed); each call counts as a start. */
  allowStart(ip: string, login: string): 'ok' | 'ip-limited' | 'user-limited';
}

/** The policy a target needs for a user (from the access-control rules). */
export type PolicyFor = (target: URL, method: string, user: { username: string; groups: readonly string[]; ip: string }) => Policy;

/** Encrypts short-lived flow state kept in the session (a TOTP secret awaiting confirmation). */
export interface SealPort {
  seal(plaintext: string, context: string): string;
  open(sealed: string, context: string): string;
}

/** Everything the portal area is given by server/. */
export interface PortalDeps {
  readonly cookies: readonly SessionCookieConfig[];
  readonly sessions: SessionManager;
  readonly clock: Clock;
  readonly logger: FastifyBaseLogger;
  readonly productName: string;
  readonly theme: 'light' | 'dark' | 'auto';
  /** `server.path` (`''` or `/auth`): every URL of the portal's own starts with it (shared/base-path.ts). */
  readonly basePath: string;
  /** `server.headers.csp_template`: the Content-Security-Policy of every portal answer, `${NONCE}` replaced per answer; undefined: the built-in policy. */
  readonly cspTemplate: string | undefined;
  /** A fresh nonce for one answer (16 random bytes, base64): what `${NONCE}` becomes. */
  readonly nonce: () => string;
  readonly users: UsersPort;
  readonly regulation: RegulationPort;
  readonly totp: TotpPort | undefined;
  /** Undefined when `webauthn.disable` is set: its pages and API answer 404. */
  readonly webauthn: WebAuthnPort | undefined;
  readonly preferences: PreferencesPort;
  readonly identityCheck: IdentityCheckPort;
  /** `identity_validation.elevated_session`: how long an elevation lasts and which sessions need one. */
  readonly elevation: ElevatedSessionConfig;
  /** Absent when no `notifier` is configured: identity checks cannot be sent. */
  readonly notifier: NotifierPort | undefined;
  readonly policyFor: PolicyFor;
  readonly seal: SealPort;
  /** Origins beyond the cookie domains that a post-login redirect may reach (OIDC redirect URIs). */
  readonly formTargets: readonly string[];
  /** Whether any rule or client needs two factors (decides where a login with no target goes). */
  readonly secondFactorUsed: boolean;
  /** Where the sign-in page's "Forgot password?" link goes (`/reset-password` or `password_reset.custom_url`); undefined: no link. */
  readonly resetPasswordLink: string | undefined;
  /** Gatehouse's own reset flow; undefined (its pages and API answer 404) when disabled, with a custom URL, or without a notifier or users file. */
  readonly passwordReset: PasswordResetPort | undefined;
  /** Writing passwords; undefined without a users file (then neither reset nor change is offered). */
  readonly passwords: PasswordsPort | undefined;
  /** Whether signed-in users may change their password (`authentication_backend.password_change.disable` unset, and a users file). */
  readonly passwordChange: boolean;
  /** Whether the OpenID Connect provider runs: the signed-in page then links to the user's authorised apps (`/consents`). */
  readonly connectedApps: boolean;
  /** The audit log and the metrics: told of logouts, password changes and second factors added or removed. */
  readonly observer: Pick<Observer, 'event'>;
}
