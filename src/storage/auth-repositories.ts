/**
 * Storage interfaces for the authentication factors: attempts log, bans, TOTP keys and
 * one-time codes. Times are milliseconds since the Unix epoch.
 */

/** One authentication attempt, as logged. `authType` is `1FA`, `TOTP` … (Authelia's values). */
export interface AuthenticationAttempt {
  readonly time: number;
  readonly successful: boolean;
  /** The attempt was refused because of a ban, without checking the credentials. */
  readonly banned: boolean;
  readonly username: string;
  readonly authType: string;
  readonly remoteIp: string;
  readonly requestUri: string;
  readonly requestMethod: string;
}

export interface AuthenticationLogRepository {
  append(attempt: AuthenticationAttempt): Promise<void>;
  /** The newest `limit` attempts of `authType` by `username` after `since` that were not banned, newest first. */
  recentByUser(username: string, authType: string, since: number, limit: number): Promise<AuthenticationAttempt[]>;
  /** The same, by client IP. */
  recentByIp(remoteIp: string, authType: string, since: number, limit: number): Promise<AuthenticationAttempt[]>;
}

export interface NewBan {
  readonly time: number;
  /** When the ban ends; `undefined` for a permanent ban. */
  readonly expires: number | undefined;
  readonly source: string;
  readonly reason: string;
}

export interface Ban extends NewBan {
  readonly id: number;
  readonly revoked: boolean;
}

export interface BanRepository {
  banUser(username: string, ban: NewBan): Promise<void>;
  banIp(ip: string, ban: NewBan): Promise<void>;
  /** The active (not revoked, not expired at `now`) ban of `username` that ends last. */
  activeUserBan(username: string, now: number): Promise<Ban | undefined>;
  activeIpBan(ip: string, now: number): Promise<Ban | undefined>;
  /** Revokes every active ban; returns how many. */
  revokeUser(username: string, now: number): Promise<number>;
  revokeIp(ip: string, now: number): Promise<number>;
}

/** A user's TOTP key with the settings it was enrolled with. */
export interface TotpConfiguration {
  readonly username: string;
  readonly issuer: string;
  readonly algorithm: 'SHA1' | 'SHA256' | 'SHA512';
  readonly digits: number;
  /** Seconds. */
  readonly period: number;
  /** The raw secret (decrypted). */
  readonly secret: Buffer;
  readonly createdAt: number;
  readonly lastUsedAt: number | undefined;
}

export interface TotpRepository {
  /** @throws GatehouseError `GH_STORAGE_DECRYPT` when the stored secret was altered. */
  get(username: string): Promise<TotpConfiguration | undefined>;
  /** Inserts or replaces the user's key (the secret is encrypted at rest). */
  save(configuration: TotpConfiguration): Promise<void>;
  /** Whether there was a key to delete. */
  delete(username: string): Promise<boolean>;
  markUsed(username: string, time: number): Promise<void>;
  /** Records that `step` was used; `false` when it already was (a replay). Atomic. */
  recordStep(username: string, step: number, time: number): Promise<boolean>;
  /** Forgets steps recorded before `time`; returns how many. */
  purgeHistory(before: number): Promise<number>;
}

export interface StoredOneTimeCode {
  readonly id: number;
  readonly username: string;
  readonly intent: string;
  readonly codeHash: Buffer;
  readonly issuedAt: number;
  readonly expiresAt: number;
  readonly attempts: number;
}

export interface OneTimeCodeRepository {
  /** Stores a new code; returns its id. */
  insert(code: Omit<StoredOneTimeCode, 'id' | 'attempts'>): Promise<number>;
  /** Codes of (`username`, `intent`) neither consumed, revoked nor expired at `now`, newest first. */
  active(username: string, intent: string, now: number): Promise<StoredOneTimeCode[]>;
  /** Marks the code consumed; `false` when it no longer was active (used concurrently). */
  consume(id: number, now: number): Promise<boolean>;
  /** Counts a wrong guess; the code is revoked once `attempts` reaches `maxAttempts`. */
  recordFailure(id: number, maxAttempts: number, now: number): Promise<void>;
  /** Revokes every active code of (`username`, `intent`); returns how many. */
  revokeActive(username: string, intent: string, now: number): Promise<number>;
}

/** A registered WebAuthn authenticator (`webauthn_credentials`). */
export interface WebAuthnCredential {
  readonly username: string;
  /** The relying party ID it was registered for (the cookie domain of the portal). */
  readonly rpId: string;
  /** The credential ID, base64url. Unique across every user and relying party. */
  readonly credentialId: string;
  /** The user's name for it ("YubiKey 5", "Laptop"). */
  readonly description: string;
  /** The COSE public key. */
  readonly publicKey: Buffer;
  readonly signCount: number;
  /** What the authenticator said it can be reached by (`usb`, `nfc`, `internal`, `hybrid`…). */
  readonly transports: readonly string[];
  readonly aaguid: string;
  /** A discoverable credential (a passkey): it can sign in without a user name. */
  readonly discoverable: boolean;
  readonly backupEligible: boolean;
  readonly backedUp: boolean;
  readonly createdAt: number;
  readonly lastUsedAt: number | undefined;
}

export interface WebAuthnRepository {
  /**
   * The user's WebAuthn user handle for `rpId`, created with `fresh` the first time. Atomic: two
   * registrations at once get the same handle.
   */
  userHandle(username: string, rpId: string, fresh: () => string, time: number): Promise<string>;
  /** Whose handle this is (a passkey names its user by handle only). */
  usernameOfHandle(rpId: string, userHandle: string): Promise<string | undefined>;
  /** The user's credentials, for every relying party unless `rpId` is given, oldest first. */
  list(username: string, rpId?: string): Promise<WebAuthnCredential[]>;
  /** A credential by its ID, whoever owns it. */
  find(credentialId: string): Promise<WebAuthnCredential | undefined>;
  /** Stores a new credential; false (nothing stored) when its credential ID is already registered, to anyone. */
  add(credential: WebAuthnCredential): Promise<boolean>;
  /** Renames one of the user's credentials; false when the user has no such credential. */
  rename(username: string, credentialId: string, description: string): Promise<boolean>;
  /** Deletes one of the user's credentials; false when the user has no such credential. */
  delete(username: string, credentialId: string): Promise<boolean>;
  /**
   * Records a sign-in with the credential, atomically only when its counter rose (or stays 0 on
   * both sides: an authenticator without a counter). False when it did not (a cloned
   * authenticator, or a replay racing this one): the caller refuses the assertion.
   */
  recordUse(credentialId: string, signCount: number, backedUp: boolean, time: number): Promise<boolean>;
}

/** The second-factor method a user prefers (`user_preferences`): `totp` or `webauthn`. */
export interface UserPreferencesRepository {
  secondFactorMethod(username: string): Promise<string | undefined>;
  setSecondFactorMethod(username: string, method: string, time: number): Promise<void>;
}
