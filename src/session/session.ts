import type { EnrollmentFlow } from '../auth/totp/enrollment.js';
import type { Identity } from '../auth/users/user.js';
import { AuthLevel } from '../rules/policy.js';

/** The identity fields of a session: an {@link Identity}, writable in place (a user refresh updates them). */
export type SessionIdentity = { -readonly [K in keyof Identity]: Identity[K] extends readonly (infer E)[] ? E[] : Identity[K] };

/** A WebAuthn ceremony in progress: its challenge, for one purpose (portal/actions/webauthn.ts). */
export interface WebAuthnFlow {
  purpose: 'register' | 'second-factor' | 'passkey';
  challenge: string;
  createdAt: number;
  /** The name the user gave the key being registered. */
  description?: string;
}

/** Short-lived state of flows in progress, each under its own key (absent when none is). */
export interface SessionFlows {
  /** A TOTP enrolment between its identity check and its confirmation (portal/actions/enrolment.ts). */
  totpEnrolment?: EnrollmentFlow;
  /**
   * The session's elevation (`identity_validation.elevated_session`): granted by an e-mailed
   * one-time code, bound to the IP it was granted from, until `expiresAt` (portal/actions/elevation.ts).
   */
  elevation?: { expiresAt: number; ip: string };
  webauthn?: WebAuthnFlow;
}

/**
 * What a session knows. Times are ms since the epoch. The identity fields (`username`,
 * `displayName`, `groups`, `emails`) are empty while anonymous.
 */
export interface SessionState extends SessionIdentity {
  /** The cookie domain the session was issued for; replaying it on another domain ends it. */
  cookieDomain: string;
  createdAt: number;
  lastActivity: number;
  keepMeLoggedIn: boolean;
  level: AuthLevel;
  /** Authentication methods used, as RFC 8176 `amr` values (`pwd`, `otp`). */
  amr: string[];
  firstFactorAt: number | undefined;
  secondFactorAt: number | undefined;
  flows: SessionFlows;
  /**
   * When the user was last checked against the user backend (see user-refresh.ts). Absent in
   * anonymous sessions and in sessions stored before user refresh existed: those are due at once.
   */
  refreshedAt?: number;
  /**
   * A short fingerprint of the password digest the user signed in with; a different digest in
   * the users file ends the session. A session stored without it adopts the current one at its
   * first check instead of ending (it may predate the field, not the password).
   */
  passwordFingerprint?: string;
  /**
   * The OpenID Connect session id (`sid` of ID tokens and logout tokens): random, given at
   * sign-in, the same for every client of this browser session and through regenerations; a new
   * sign-in as another user gets a new one. Absent while anonymous.
   */
  sid?: string;
  /** Where the session was signed in from (the settings page lists it); absent in sessions stored before it was recorded. */
  device?: { userAgent: string; ip: string };
}

/** Why a session ended: what logout propagation and the audit log say. */
export type SessionEndReason = 'logout' | 'logout-everywhere' | 'rp-logout' | 'expired' | 'revoked' | 'user-changed' | 'invalid';

/** A signed-in session that ended: what single logout needs (never the session ID). */
export interface EndedSession {
  readonly idHash: string;
  readonly username: string;
  readonly sid: string | undefined;
  readonly reason: SessionEndReason;
}

/** A loaded session: its secret ID (only in memory and in the cookie) and its state. */
export interface Session {
  readonly id: string;
  readonly idHash: string;
  readonly state: SessionState;
}

export function anonymousState(cookieDomain: string, now: number): SessionState {
  return {
    cookieDomain,
    createdAt: now,
    lastActivity: now,
    keepMeLoggedIn: false,
    username: '',
    displayName: '',
    groups: [],
    emails: [],
    level: AuthLevel.none,
    amr: [],
    firstFactorAt: undefined,
    secondFactorAt: undefined,
    flows: {},
  };
}

const isString = (value: unknown): value is string => typeof value === 'string';
const isTime = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);
const isStrings = (value: unknown): value is string[] => Array.isArray(value) && value.every(isString);
const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const levels: readonly unknown[] = Object.values(AuthLevel);

/**
 * Whether a stored value is a session this version can serve: the fields every session has had
 * since sessions were stored, with their types. Fields added later (`refreshedAt`,
 * `passwordFingerprint`, `sid`, `device`) may be absent, as in older sessions, but are checked when
 * present; `flows` absent reads as none. A value that fails is treated as no session (its user signs
 * in again) instead of failing every request that carries its cookie.
 */
export function toSessionState(value: unknown): SessionState | undefined {
  if (!isRecord(value)) return undefined;
  const v = value;
  const ok =
    isString(v.username) &&
    isString(v.displayName) &&
    isStrings(v.groups) &&
    isStrings(v.emails) &&
    isString(v.cookieDomain) &&
    isTime(v.createdAt) &&
    isTime(v.lastActivity) &&
    typeof v.keepMeLoggedIn === 'boolean' &&
    levels.includes(v.level) &&
    isStrings(v.amr) &&
    (v.firstFactorAt === undefined || v.firstFactorAt === null || isTime(v.firstFactorAt)) &&
    (v.secondFactorAt === undefined || v.secondFactorAt === null || isTime(v.secondFactorAt)) &&
    (v.flows === undefined || isRecord(v.flows)) &&
    (v.refreshedAt === undefined || isTime(v.refreshedAt)) &&
    (v.passwordFingerprint === undefined || isString(v.passwordFingerprint)) &&
    (v.sid === undefined || isString(v.sid)) &&
    (v.device === undefined || (isRecord(v.device) && isString(v.device.userAgent) && isString(v.device.ip)));
  if (!ok) return undefined;
  const state = value as unknown as SessionState;
  if (v.flows === undefined) state.flows = {};
  if (v.firstFactorAt === null) state.firstFactorAt = undefined;
  if (v.secondFactorAt === null) state.secondFactorAt = undefined;
  return state;
}

/** {@link toSessionState} of a JSON text; undefined when it is not JSON or not a session. */
export function parseSessionState(json: string): SessionState | undefined {
  try {
    return toSessionState(JSON.parse(json));
  } catch {
    return undefined;
  }
}
