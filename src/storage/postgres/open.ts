import pg, { type Pool, type PoolClient } from 'pg';
import { type PostgresStorageConfig, describePostgresAddress } from '../../config/storage.js';
import type { Clock } from '../../shared/clock.js';
import { StartupError } from '../../shared/errors.js';
import { AesGcmCipher } from '../cipher.js';
import type { Storage } from '../storage.js';
import { PostgresAuthLogRepository } from './auth-log-repository.js';
import { PostgresBanRepository } from './ban-repository.js';
import { connectError } from './connect-error.js';
import { type Sql, first } from './db.js';
import { applyMigrations, lockSchema, tableExists } from './migrate.js';
import { PostgresOidcRepository } from './oidc-repository.js';
import { PostgresOneTimeCodeRepository } from './one-time-code-repository.js';
import { poolConfig } from './pool.js';
import { PostgresSessionRepository } from './session-repository.js';
import { PostgresTotpRepository } from './totp-repository.js';

export interface PostgresOptions {
  readonly config: PostgresStorageConfig;
  readonly encryptionKey: string;
  readonly clock: Clock;
  readonly appVersion: string;
}

/** How long preparing the schema may wait for another instance doing it (its lock) and take. */
const prepareTimeout = 60_000;

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
  readonly oidc: PostgresOidcRepository;
  readonly cipher: AesGcmCipher;
  readonly pool: Pool;
  /** Migration versions applied by this start (empty when the schema was current). */
  readonly applied: readonly number[];
  #closing: Promise<void> | undefined;

  private constructor(pool: Pool, cipher: AesGcmCipher, applied: number[]) {
    this.pool = pool;
    this.cipher = cipher;
    this.applied = applied;
    this.sessions = new PostgresSessionRepository(pool);
    this.authLogs = new PostgresAuthLogRepository(pool);
    this.bans = new PostgresBanRepository(pool);
    this.totp = new PostgresTotpRepository(pool, cipher);
    this.oneTimeCodes = new PostgresOneTimeCodeRepository(pool);
    this.oidc = new PostgresOidcRepository(pool, cipher);
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
    const pool = new pg.Pool(poolConfig(config));
    // An idle connection the server closed: the pool drops it and the next query opens another.
    pool.on('error', () => undefined);
    let client: PoolClient;
    try {
      client = await pool.connect();
    } catch (cause) {
      await pool.end().catch(() => undefined);
      throw connectError(config, cause);
    }
    const cipher = new AesGcmCipher(options.encryptionKey);
    try {
      const applied = await prepare(client, cipher, options);
      client.release();
      return new PostgresStorage(pool, cipher, applied);
    } catch (cause) {
      client.release(true);
      await pool.end().catch(() => undefined);
      if (cause instanceof StartupError) throw cause;
      const where = `${describePostgresAddress(config.address)} database '${config.database}' schema '${config.schema}'`;
      throw new StartupError(
        'GH_STORAGE_INIT',
        `storage.postgres: cannot prepare the database at ${where}: ${(cause as Error)?.message ?? String(cause)}`,
        cause,
      );
    }
  }

  /** Closes the pool once connections in use are returned; later calls fail. */
  close(): Promise<void> {
    this.#closing ??= this.pool.end();
    return this.#closing;
  }
}

async function prepare(client: PoolClient, cipher: AesGcmCipher, options: PostgresOptions): Promise<number[]> {
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
