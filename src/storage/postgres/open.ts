import pg, { type Pool } from 'pg';
import { type PostgresStorageConfig, describePostgresAddress } from '../../config/storage.js';
import type { Clock } from '../../shared/clock.js';
import { StartupError } from '../../shared/errors.js';
import { AesGcmCipher } from '../cipher.js';
import type { Storage } from '../storage.js';
import { PostgresAuthLogRepository } from './auth-log-repository.js';
import { PostgresBanRepository } from './ban-repository.js';
import { connectError } from './connect-error.js';
import { RetryingPool, type Sql, first } from './db.js';
import { applyMigrations, lockSchema, tableExists } from './migrate.js';
import { PostgresOidcRepository } from './oidc-repository.js';
import { PostgresOneTimeCodeRepository } from './one-time-code-repository.js';
import { poolConfig } from './pool.js';
import { PostgresSessionRepository } from './session-repository.js';
import { PostgresTotpRepository } from './totp-repository.js';
import { PostgresUserPreferencesRepository, PostgresWebAuthnRepository } from './webauthn-repository.js';
import { StorageGuard } from '../guard.js';
import { postgresStore, unavailability } from './unavailable.js';

export interface PostgresOptions {
  readonly config: PostgresStorageConfig;
  readonly encryptionKey: string;
  readonly clock: Clock;
  readonly appVersion: string;
}

/** How long preparing the schema may wait for another instance doing it (its lock) and take. */
const prepareTimeout = 60_000;

/** How much longer than `storage.postgres.timeout` the pool waits for a statement's answer. */
const readTimeoutMargin = 1_000;

/**
 * The PostgreSQL storage provider: a bounded pool (node-postgres) on `storage.postgres`, the
 * tables in its schema. Several Gatehouse instances share one: every operation that must be
 * single-use or all-or-nothing is one statement or one transaction in the database.
 */
export class PostgresStorage implements Storage {
  readonly provider = 'postgres';
  readonly sessions: PostgresSessionRepository;
  readonly authLogs: PostgresAuthLogRepository;
  readonly bans: PostgresBanRepository;
  readonly totp: PostgresTotpRepository;
  readonly oneTimeCodes: PostgresOneTimeCodeRepository;
  readonly webauthn: PostgresWebAuthnRepository;
  readonly preferences: PostgresUserPreferencesRepository;
  readonly oidc: PostgresOidcRepository;
  readonly cipher: AesGcmCipher;
  readonly pool: Pool;
  /**
   * Every repository call goes through it: while PostgreSQL cannot answer, calls reject with
   * StorageUnavailableError (503) and `/api/health` reports the outage; the pool opens new
   * connections as they are needed, so service resumes by itself once the server is back.
   */
  readonly health: StorageGuard;
  /** Migration versions applied by this start (empty when the schema was current). */
  readonly applied: readonly number[];
  #closing: Promise<void> | undefined;

  private constructor(pool: Pool, cipher: AesGcmCipher, applied: number[], options: PostgresOptions) {
    this.pool = pool;
    this.cipher = cipher;
    this.applied = applied;
    const guard = new StorageGuard({
      clock: options.clock,
      timeout: options.config.timeout,
      ping: () => pool.query('SELECT 1'),
      store: postgresStore,
      classify: unavailability,
    });
    this.health = guard;
    this.sessions = guard.wrap(new PostgresSessionRepository(pool));
    this.authLogs = guard.wrap(new PostgresAuthLogRepository(pool));
    this.bans = guard.wrap(new PostgresBanRepository(pool));
    this.totp = guard.wrap(new PostgresTotpRepository(pool, cipher));
    this.oneTimeCodes = guard.wrap(new PostgresOneTimeCodeRepository(pool));
    this.webauthn = guard.wrap(new PostgresWebAuthnRepository(pool));
    this.preferences = guard.wrap(new PostgresUserPreferencesRepository(pool));
    this.oidc = guard.wrap(new PostgresOidcRepository(pool, cipher));
  }

  /**
   * Connects, then in one transaction under the schema's advisory lock creates the schema when
   * missing, checks the encryption key and applies the missing migrations: instances starting
   * together migrate once, and a failure changes nothing.
   * @throws StartupError `GH_STORAGE_CONNECT` naming `storage.postgres.address` (or the key to
   * fix) when the server cannot be reached or refuses; `GH_STORAGE_KEY_MISMATCH`; `GH_STORAGE_INIT`.
   */
  static async open(options: PostgresOptions): Promise<PostgresStorage> {
    const { config } = options;
    // Preparing may wait for another instance's lock: its own connection, without the pool's read timeout.
    const client = new pg.Client(poolConfig(config));
    client.on('error', () => undefined);
    try {
      await client.connect();
    } catch (cause) {
      await client.end().catch(() => undefined);
      throw connectError(config, cause);
    }
    const cipher = new AesGcmCipher(options.encryptionKey);
    let applied: number[];
    try {
      applied = await prepare(client, cipher, options);
    } catch (cause) {
      if (cause instanceof StartupError) throw cause;
      const where = `${describePostgresAddress(config.address)} database '${config.database}' schema '${config.schema}'`;
      throw new StartupError(
        'GH_STORAGE_INIT',
        `storage.postgres: cannot prepare the database at ${where}: ${(cause as Error)?.message ?? String(cause)}`,
        cause,
      );
    } finally {
      await client.end().catch(() => undefined);
    }
    // A statement the server does not answer at all (a network that drops packets silently) is
    // given up a second after statement_timeout would have cut it; its connection is discarded.
    const pool = new RetryingPool({ ...poolConfig(config), query_timeout: config.timeout + readTimeoutMargin });
    // An idle connection the server closed: the pool drops it and the next query opens another.
    pool.on('error', () => undefined);
    return new PostgresStorage(pool, cipher, applied, options);
  }

  /** Closes the pool once connections in use are returned; later calls fail. */
  close(): Promise<void> {
    this.#closing ??= this.pool.end();
    return this.#closing;
  }
}

async function prepare(client: pg.Client, cipher: AesGcmCipher, options: PostgresOptions): Promise<number[]> {
  const { schema } = options.config;
  await client.query('BEGIN');
  try {
    await client.query(`SET LOCAL statement_timeout = ${Math.max(options.config.timeout, prepareTimeout)}`);
    await lockSchema(client, schema);
    await checkKey(client, cipher, options.config);
    const applied = await applyMigrations(client, schema, options.clock.now(), options.appVersion);
    await client.query(`INSERT INTO ${schema}.encryption (name, value) VALUES ('key_check', $1) ON CONFLICT (name) DO NOTHING`, [cipher.keyCheck()]);
    await client.query('COMMIT');
    return applied;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

async function checkKey(sql: Sql, cipher: AesGcmCipher, config: PostgresStorageConfig): Promise<void> {
  if (!(await tableExists(sql, config.schema, 'encryption'))) return;
  const row = await first<{ value: Buffer }>(sql, `SELECT value FROM ${config.schema}.encryption WHERE name = 'key_check'`);
  if (row && !cipher.matchesKeyCheck(row.value)) {
    throw new StartupError(
      'GH_STORAGE_KEY_MISMATCH',
      `storage.encryption_key: is not the key the database '${config.database}' (schema '${config.schema}' at ${describePostgresAddress(config.address)}) was created with; start with the original key (the database was not changed)`,
    );
  }
}
