/**
 * The storage providers every contract test runs against, and a fresh store of each per test:
 * SQLite (a new file in a temporary folder), PostgreSQL (this file's own schema, emptied before
 * each test; `freshStore` makes a new schema) and MySQL/MariaDB (likewise with a database).
 * Schemas and databases are random and dropped after the file.
 */
import { join } from 'node:path';
import { afterAll, beforeEach, onTestFinished } from 'vitest';
import type { StorageConfig } from '../../../src/config/storage.js';
import { type Clock, ManualClock } from '../../../src/shared/clock.js';
import { type OpenedStorage, openStorage } from '../../../src/storage/open.js';
import { openConnection } from '../../../src/storage/sqlite/connection.js';
import { tempDir } from '../../helpers/config.js';
import { dropDatabase, mysqlQuery, mysqlSkipReason, testMysqlConfig } from '../../helpers/mysql.js';
import { dropSchema, freshSchemaName, postgresSkipReason, query, testPostgresConfig } from '../../helpers/postgres.js';

export const testKey = 'a-very-long-test-encryption-key';

export interface StorageBackend {
  readonly name: 'sqlite' | 'postgres' | 'mysql';
  /** Why this provider's runs skip here (PostgreSQL or MariaDB unreachable outside CI); undefined: they run. */
  readonly skip: string | undefined;
}

export const storageBackends: readonly StorageBackend[] = [
  { name: 'sqlite', skip: undefined },
  { name: 'postgres', skip: await postgresSkipReason() },
  { name: 'mysql', skip: await mysqlSkipReason() },
];

/** One database: every `open` is another Gatehouse instance on it, closed after the test. */
export interface Store {
  readonly config: StorageConfig;
  open(options?: { clock?: Clock; encryptionKey?: string }): Promise<OpenedStorage>;
  /** Runs SQL on the store directly, not through Gatehouse (unqualified names find its tables). */
  exec(sql: string): Promise<void>;
}

export interface BackendContext {
  /** An empty store for the current test. */
  store(): Promise<Store>;
  /** A store nothing has opened yet (a new file, a new schema): for start-up and migration tests. */
  freshStore(): Store;
  /** One instance on an empty store. */
  open(clock?: Clock): Promise<OpenedStorage>;
}

/**
 * Registers the backend's hooks in the calling `describe` (skip when unavailable, drop the
 * schemas after the file) and returns its stores.
 */
export function useBackend(backend: StorageBackend): BackendContext {
  beforeEach((ctx) => {
    if (backend.skip) ctx.skip(backend.skip);
  });
  const schemas: string[] = [];
  const databases: string[] = [];
  afterAll(async () => {
    for (const schema of schemas) await dropSchema(schema);
    for (const database of databases) await dropDatabase(database);
  });
  /** A MySQL store's database is created when first used (freshStore is synchronous). */
  const created = async (config: StorageConfig) => {
    if (config.kind === 'mysql') await mysqlQuery(`CREATE DATABASE IF NOT EXISTS ${config.mysql.database} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
  };
  const storeOf = (config: StorageConfig): Store => ({
    config,
    async open(options = {}) {
      await created(config);
      const opened = await openStorage(
        { ...config, encryptionKey: options.encryptionKey ?? config.encryptionKey },
        { clock: options.clock ?? new ManualClock(), appVersion: 'test' },
      );
      onTestFinished(() => opened.close());
      return opened;
    },
    async exec(sql) {
      await created(config);
      if (config.kind === 'local') {
        const db = openConnection(config.local.path);
        db.exec(sql);
        db.close();
      } else if (config.kind === 'mysql') {
        await mysqlQuery(sql, [], config.mysql.database);
      } else {
        await query(`SET search_path TO ${config.postgres.schema}; ${sql}`);
      }
    },
  });
  const freshStore = (): Store => {
    if (backend.name === 'sqlite') return storeOf({ encryptionKey: testKey, kind: 'local', local: { path: join(tempDir(), 'db.sqlite3') } });
    if (backend.name === 'mysql') {
      const database = freshSchemaName();
      databases.push(database);
      return storeOf({ encryptionKey: testKey, kind: 'mysql', mysql: testMysqlConfig(database) });
    }
    const schema = freshSchemaName();
    schemas.push(schema);
    return storeOf({ encryptionKey: testKey, kind: 'postgres', postgres: testPostgresConfig(schema) });
  };
  let shared: Store | undefined;
  const store = async (): Promise<Store> => {
    if (backend.name === 'sqlite') return freshStore();
    if (shared === undefined) {
      shared = freshStore();
      return shared;
    }
    if (shared.config.kind === 'mysql') {
      const { database } = shared.config.mysql;
      const tables = await mysqlQuery<{ name: string }>(
        "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = ? AND table_name NOT IN ('migrations', 'encryption')",
        [database],
      );
      if (tables.length > 0) await mysqlQuery(tables.map((t) => `TRUNCATE TABLE ${database}.${t.name};`).join(' '));
      return shared;
    }
    if (shared.config.kind !== 'postgres') return shared;
    const { schema } = shared.config.postgres;
    const tables = await query<{ tablename: string }>(
      "SELECT tablename FROM pg_tables WHERE schemaname = $1 AND tablename NOT IN ('migrations', 'encryption')",
      [schema],
    );
    if (tables.length > 0) await query(`TRUNCATE ${tables.map((t) => `${schema}.${t.tablename}`).join(', ')} RESTART IDENTITY`);
    return shared;
  };
  return { store, freshStore, open: async (clock) => (await store()).open({ clock }) };
}
