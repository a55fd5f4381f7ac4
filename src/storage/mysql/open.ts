import mysql, { type Connection, type Pool } from 'mysql2/promise';
import { type MysqlStorageConfig, describeMysqlAddress } from '../../config/storage.js';
import type { Clock } from '../../shared/clock.js';
import { StartupError } from '../../shared/errors.js';
import { AesGcmCipher } from '../cipher.js';
import { StorageGuard } from '../guard.js';
import type { Storage } from '../storage.js';
import { MysqlAuthLogRepository, MysqlBanRepository, MysqlOneTimeCodeRepository, MysqlSessionRepository, MysqlTotpRepository } from './auth-repositories.js';
import { connectError } from './connect-error.js';
import { type Db, type Sql, first, run } from './db.js';
import { applyMigrations, lockDatabase, tableExists, unlockDatabase } from './migrate.js';
import { MysqlOidcRepository } from './oidc-repository.js';
import { connectionConfig, poolConfig, sessionSetup } from './pool.js';
import { mysqlStore, mysqlUnavailability } from './unavailable.js';
import { MysqlUserPreferencesRepository, MysqlWebAuthnRepository } from './webauthn-repository.js';

export interface MysqlOptions {
  readonly config: MysqlStorageConfig;
  readonly encryptionKey: string;
  readonly clock: Clock;
  readonly appVersion: string;
}

/** How long preparing the database may wait for another instance doing it (its lock), in seconds. */
const prepareLockSeconds = 60;

/** How long one statement of preparing the database (a migration) may take, at least. */
const prepareTimeout = 600_000;

/**
 * The MySQL/MariaDB storage provider: a bounded pool (mysql2) on `storage.mysql`, the tables in
 * its database (InnoDB, utf8mb4). Several Gatehouse instances share one: every operation that
 * must be single-use or all-or-nothing is one statement or one transaction (READ COMMITTED, row
 * locks) in the database.
 */
export class MysqlStorage implements Storage {
  readonly provider = 'mysql';
  readonly sessions: MysqlSessionRepository;
  readonly authLogs: MysqlAuthLogRepository;
  readonly bans: MysqlBanRepository;
  readonly totp: MysqlTotpRepository;
  readonly oneTimeCodes: MysqlOneTimeCodeRepository;
  readonly webauthn: MysqlWebAuthnRepository;
  readonly preferences: MysqlUserPreferencesRepository;
  readonly oidc: MysqlOidcRepository;
  readonly cipher: AesGcmCipher;
  readonly pool: Pool;
  /** The pool with `storage.mysql.timeout`, as the repositories and `storage copy` use it. */
  readonly db: Db;
  /**
   * Every repository call goes through it: while the server cannot answer, calls reject with
   * StorageUnavailableError (503) and `/api/health` reports the outage; the pool opens new
   * connections as they are needed, so service resumes by itself once the server is back.
   */
  readonly health: StorageGuard;
  /** Migration versions applied by this start (empty when the schema was current). */
  readonly applied: readonly number[];
  #closing: Promise<void> | undefined;

  private constructor(pool: Pool, cipher: AesGcmCipher, applied: number[], options: MysqlOptions) {
    this.pool = pool;
    this.cipher = cipher;
    this.applied = applied;
    const db: Db = { on: pool, timeout: options.config.timeout };
    this.db = db;
    const guard = new StorageGuard({
      clock: options.clock,
      timeout: options.config.timeout,
      ping: () => first(db, 'SELECT 1'),
      store: mysqlStore,
      classify: mysqlUnavailability,
    });
    this.health = guard;
    this.sessions = guard.wrap(new MysqlSessionRepository(db));
    this.authLogs = guard.wrap(new MysqlAuthLogRepository(db));
    this.bans = guard.wrap(new MysqlBanRepository(db));
    this.totp = guard.wrap(new MysqlTotpRepository(db, cipher));
    this.oneTimeCodes = guard.wrap(new MysqlOneTimeCodeRepository(db));
    this.webauthn = guard.wrap(new MysqlWebAuthnRepository(db));
    this.preferences = guard.wrap(new MysqlUserPreferencesRepository(db));
    this.oidc = guard.wrap(new MysqlOidcRepository(db, cipher, options.config.database));
  }

  /**
   * Connects, then under the database's named lock checks the encryption key and applies the
   * missing migrations (instances starting together migrate once).
   * @throws StartupError `GH_STORAGE_CONNECT` naming `storage.mysql.address` (or the key to fix)
   * when the server cannot be reached or refuses; `GH_STORAGE_KEY_MISMATCH`; `GH_STORAGE_INIT`.
   */
  static async open(options: MysqlOptions): Promise<MysqlStorage> {
    const { config } = options;
    const connection = await connect(config, true);
    const cipher = new AesGcmCipher(options.encryptionKey);
    let applied: number[];
    try {
      applied = await prepare(connection, cipher, options);
    } catch (cause) {
      if (cause instanceof StartupError) throw cause;
      const where = `${describeMysqlAddress(config.address)} database '${config.database}'`;
      throw new StartupError('GH_STORAGE_INIT', `storage.mysql: cannot prepare the database at ${where}: ${(cause as Error)?.message ?? String(cause)}`, cause);
    } finally {
      await connection.end().catch(() => connection.destroy());
    }
    const pool = mysql.createPool(poolConfig(config));
    const setup = sessionSetup(config);
    // Each new connection runs the set-up first: queued before any statement of Gatehouse's.
    pool.pool.on('connection', (c) => {
      for (const statement of setup) c.query(statement, () => undefined);
    });
    return new MysqlStorage(pool, cipher, applied, options);
  }

  /** Closes the pool once connections in use are returned; later calls fail. */
  close(): Promise<void> {
    this.#closing ??= this.pool.end();
    return this.#closing;
  }
}

/**
 * One connection of its own (several statements per query allowed: a migration file runs
 * whole), for preparing the database or looking at it.
 * @throws StartupError `GH_STORAGE_CONNECT` naming the key to fix.
 */
export async function connect(config: MysqlStorageConfig, multipleStatements: boolean): Promise<Connection> {
  try {
    const connection = await mysql.createConnection({ ...connectionConfig(config), multipleStatements });
    connection.on('error', () => undefined);
    try {
      for (const statement of sessionSetup(config)) await connection.query({ sql: statement, timeout: config.timeout });
    } catch (error) {
      connection.destroy();
      throw error;
    }
    return connection;
  } catch (cause) {
    throw connectError(config, cause);
  }
}

async function prepare(connection: Connection, cipher: AesGcmCipher, options: MysqlOptions): Promise<number[]> {
  const { config } = options;
  const sql: Sql = { on: connection, timeout: Math.max(config.timeout, prepareTimeout) };
  await lockDatabase(sql, config.database, prepareLockSeconds);
  try {
    await checkKey(sql, cipher, config);
    const applied = await applyMigrations(sql, options.clock.now(), options.appVersion);
    await run(sql, "INSERT IGNORE INTO encryption (name, value) VALUES ('key_check', ?)", [cipher.keyCheck()]);
    return applied;
  } finally {
    await unlockDatabase(sql, config.database).catch(() => undefined);
  }
}

async function checkKey(sql: Sql, cipher: AesGcmCipher, config: MysqlStorageConfig): Promise<void> {
  if (!(await tableExists(sql, 'encryption'))) return;
  const row = await first<{ value: Buffer }>(sql, "SELECT value FROM encryption WHERE name = 'key_check'");
  if (row && !cipher.matchesKeyCheck(row.value)) {
    throw new StartupError(
      'GH_STORAGE_KEY_MISMATCH',
      `storage.encryption_key: is not the key the database '${config.database}' (at ${describeMysqlAddress(config.address)}) was created with; start with the original key (the database was not changed)`,
    );
  }
}
