import type {
  AuthenticationLogRepository,
  BanRepository,
  OneTimeCodeRepository,
  TotpRepository,
  UserPreferencesRepository,
  WebAuthnRepository,
} from './auth-repositories.js';
import type { OidcRepository } from './oidc-repositories.js';

/**
 * The storage API every provider implements (SQLite, PostgreSQL, MySQL/MariaDB; `openStorage` opens the
 * configured one). Callers only see these interfaces; methods are asynchronous so that a network
 * database fits behind them.
 */
export interface Storage {
  /** Which provider this is, for logs. */
  readonly provider: string;
  readonly sessions: SessionRepository;
  /** Every authentication attempt (`authentication_logs`). */
  readonly authLogs: AuthenticationLogRepository;
  /** Username and IP bans (`banned_user`, `banned_ip`). */
  readonly bans: BanRepository;
  /** TOTP keys (secrets encrypted at rest) and used time steps. */
  readonly totp: TotpRepository;
  /** Hashed one-time codes for identity checks. */
  readonly oneTimeCodes: OneTimeCodeRepository;
  /** WebAuthn credentials (security keys, passkeys) and each user's handle per relying party. */
  readonly webauthn: WebAuthnRepository;
  /** What each user chose on the settings page (the preferred second factor). */
  readonly preferences: UserPreferencesRepository;
  /** OpenID Connect: signing keys (encrypted), subjects, codes and tokens (hashed), consents, audit. */
  readonly oidc: OidcRepository;
  /** Encrypts secrets at rest under the key derived from `storage.encryption_key`. */
  readonly cipher: ColumnCipher;
  /** Closes the database; later calls fail. */
  close(): Promise<void>;
}

/** A session row. `idHash` is the SHA-256 of the session ID: the ID itself is never stored. */
export interface StoredSession {
  readonly idHash: string;
  /** Empty for anonymous sessions. */
  readonly username: string;
  /** Serialised session state. */
  readonly data: string;
  readonly createdAt: number;
  /** When the row may be purged (ms since epoch). */
  readonly expiresAt: number;
}

/** A session row that was deleted: who it was, and its OpenID Connect `sid` (for single logout). */
export interface DeletedSession {
  readonly idHash: string;
  /** '' for an anonymous session. */
  readonly username: string;
  readonly sid: string | undefined;
}

export interface SessionRepository {
  get(idHash: string): Promise<StoredSession | undefined>;
  /** Inserts or replaces. */
  put(session: StoredSession): Promise<void>;
  delete(idHash: string): Promise<void>;
  /** Deletes every session of `username`; returns them. */
  deleteByUsername(username: string): Promise<DeletedSession[]>;
  /** Deletes rows whose `expiresAt` is at or before `now`; returns them. */
  deleteExpired(now: number): Promise<DeletedSession[]>;
  /** The sessions of `username` (for `gatehouse sessions list`). */
  listByUsername(username: string): Promise<StoredSession[]>;
}

export type {
  AuthenticationAttempt,
  AuthenticationLogRepository,
  Ban,
  BanRepository,
  NewBan,
  OneTimeCodeRepository,
  StoredOneTimeCode,
  TotpConfiguration,
  TotpRepository,
} from './auth-repositories.js';

export interface ColumnCipher {
  /**
   * AES-256-GCM. `context` is bound as associated data (e.g. `totp_configurations:secret:john`),
   * so a value copied to another row or column no longer decrypts.
   */
  encrypt(plaintext: Buffer | string, context: string): Buffer;
  /** @throws StorageError `GH_STORAGE_DECRYPT` when the value was altered or belongs elsewhere. */
  decrypt(ciphertext: Buffer, context: string): Buffer;
}
export type * from './oidc-repositories.js';
