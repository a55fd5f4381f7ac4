/** Authentication level reached in a session. */
export const AuthLevel = { none: 0, oneFactor: 1, twoFactor: 2 } as const;
export type AuthLevel = (typeof AuthLevel)[keyof typeof AuthLevel];

/** What a session knows. Times are ms since the epoch. */
export interface SessionState {
  /** The cookie domain the session was issued for; replaying it on another domain ends it. */
  cookieDomain: string;
  createdAt: number;
  lastActivity: number;
  keepMeLoggedIn: boolean;
  /** Empty while anonymous. */
  username: string;
  displayName: string;
  groups: string[];
  emails: string[];
  level: AuthLevel;
  /** Authentication methods used, as RFC 8176 `amr` values (`pwd`, `otp`). */
  amr: string[];
  firstFactorAt: number | undefined;
  secondFactorAt: number | undefined;
  /** Short-lived state of flows in progress (pending TOTP enrolment, OIDC authorization…). */
  flows: Record<string, unknown>;
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
