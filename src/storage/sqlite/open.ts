import { existsSync, lstatSync, mkdirSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Database } from 'better-sqlite3';
import type { Clock } from '../../shared/clock.js';
import { StartupError } from '../../shared/errors.js';
import { AesGcmCipher } from '../cipher.js';
import type { Storage } from '../storage.js';
import { openConnection } from './connection.js';
import { applyMigrations } from './migrate.js';
import { SqliteAuthLogRepository } from './auth-log-repository.js';
import { SqliteBanRepository } from './ban-repository.js';
import { SqliteOidcRepository } from './oidc-repository.js';
import { SqliteOneTimeCodeRepository } from './one-time-code-repository.js';
import { SqliteSessionRepository } from './session-repository.js';
import { SqliteTotpRepository } from './totp-repository.js';
import { SqliteUserPreferencesRepository, SqliteWebAuthnRepository } from './webauthn-repository.js';

export interface SqliteOptions {
  /** Database file; `:memory:` for tests. Its folder is created when missing. */
  readonly path: string;
  readonly encryptionKey: string;
  readonly clock: Clock;
  readonly appVersion: string;
}

/** The SQLite storage provider (better-sqlite3, WAL). */
export class SqliteStorage implements Storage {
  readonly provider = 'sqlite';
  readonly sessions: SqliteSessionRepository;
  readonly authLogs: SqliteAuthLogRepository;
  readonly bans: SqliteBanRepository;
  readonly totp: SqliteTotpRepository;
  readonly oneTimeCodes: SqliteOneTimeCodeRepository;
  readonly webauthn: SqliteWebAuthnRepository;
  readonly preferences: SqliteUserPreferencesRepository;
  readonly oidc: SqliteOidcRepository;
  readonly cipher: AesGcmCipher;
  readonly db: Database;
  /** Migration versions applied by this start (empty when the schema was current). */
  readonly applied: readonly number[];

  private constructor(db: Database, cipher: AesGcmCipher, applied: number[]) {
    this.db = db;
    this.cipher = cipher;
    this.applied = applied;
    this.sessions = new SqliteSessionRepository(db);
    this.authLogs = new SqliteAuthLogRepository(db);
    this.bans = new SqliteBanRepository(db);
    this.totp = new SqliteTotpRepository(db, cipher);
    this.oneTimeCodes = new SqliteOneTimeCodeRepository(db);
    this.webauthn = new SqliteWebAuthnRepository(db);
    this.preferences = new SqliteUserPreferencesRepository(db);
    this.oidc = new SqliteOidcRepository(db, cipher);
  }

  /**
   * Opens (creating when needed) and migrates the database, and checks the encryption key.
   * A new database that fails to initialise is removed, so nothing half-written is left.
   * @throws StartupError naming `storage.local.path` or `storage.encryption_key`.
   */
  static open(options: SqliteOptions): SqliteStorage {
    const { path } = options;
    const inMemory = path === ':memory:';
    const existed = inMemory || existsSync(path);
    if (!inMemory) ensureFolder(path);
    let db: Database;
    try {
      db = openConnection(path);
    } catch (cause) {
      throw new StartupError('GH_STORAGE_OPEN', `storage.local.path: cannot open the database '${path}': ${message(cause)}`, cause);
    }
    try {
      db.exec('PRAGMA busy_timeout = 5000; PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;');
      const cipher = new AesGcmCipher(options.encryptionKey);
      // IMMEDIATE: the write lock is taken (waiting up to busy_timeout) before the first read. A
      // deferred transaction that reads, then writes while a running gateway has committed in
      // between, fails at once with "database is locked" (WAL cannot upgrade a stale snapshot):
      // the CLI opening the database of a running gateway hit it.
      const applied = db
        .transaction(() => {
          checkKey(db, cipher, path);
          const versions = applyMigrations(db, options.clock.now(), options.appVersion);
          db.prepare("INSERT OR IGNORE INTO encryption (name, value) VALUES ('key_check', ?)").run(cipher.keyCheck());
          return versions;
        })
        .immediate();
      return new SqliteStorage(db, cipher, applied);
    } catch (cause) {
      db.close();
      if (!existed) removeNewDatabase(path);
      if (cause instanceof StartupError) throw cause;
      throw new StartupError('GH_STORAGE_INIT', `storage.local.path: cannot prepare the database '${path}': ${message(cause)}`, cause);
    }
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}

/** Removes the files of a database this start created, so a failed start leaves nothing half-written. */
function removeNewDatabase(path: string): void {
  for (const file of [path, `${path}-wal`, `${path}-shm`, `${path}-journal`]) {
    try {
      if (existsSync(file) && lstatSync(file).isFile()) rmSync(file);
    } catch {
      // Best effort: the error that made initialisation fail is the one to report.
    }
  }
}

function ensureFolder(path: string): void {
  const folder = dirname(path);
  try {
    mkdirSync(folder, { recursive: true });
  } catch (cause) {
    throw new StartupError('GH_STORAGE_FOLDER', `storage.local.path: cannot create the folder '${folder}': ${message(cause)}`, cause);
  }
}

function checkKey(db: Database, cipher: AesGcmCipher, path: string): void {
  const table = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'encryption'").get();
  if (!table) return;
  const row = db.prepare("SELECT value FROM encryption WHERE name = 'key_check'").get() as { value: Buffer } | undefined;
  if (row && !cipher.matchesKeyCheck(row.value)) {
    throw new StartupError(
      'GH_STORAGE_KEY_MISMATCH',
      `storage.encryption_key: is not the key the database '${path}' was created with; start with the original key (the database was not changed)`,
    );
  }
}

function message(error: unknown): string {
  const e = error as NodeJS.ErrnoException;
  return e?.code && e.message ? `${e.message}` : String(e?.message ?? error);
}
