/**
 * The storage providers every contract test runs against, and a fresh store of each per test:
 * SQLite (a new file in a temporary folder) and PostgreSQL (this file's own schema, emptied before
 * each test; `freshStore` makes a new schema). Schemas are random and dropped after the file.
 */
import { join } from 'node:path';
import { afterAll, beforeEach, onTestFinished } from 'vitest';
import type { StorageConfig } from '../../../src/config/storage.js';
import { type Clock, ManualClock } from '../../../src/shared/clock.js';
import { type OpenedStorage, openStorage } from '../../../src/storage/open.js';
import { openConnection } from '../../../src/storage/sqlite/connection.js';
import { tempDir } from '../../helpers/config.js';
import { dropSchema, freshSchemaName, postgresSkipReason, query, testPostgresConfig } from '../../helpers/postgres.js';

export const testKey = 'a-very-long-test-encryption-key';

export interface StorageBackend {
  readonly name: 'sqlite' | 'postgres';
  /** Why this provider's runs skip here (PostgreSQL unreachable outside CI); undefined: they run. */
  readonly skip: string | undefined;
}

export const storageBackends: readonly StorageBackend[] = [
  { name: 'sqlite', skip: undefined },
  { name: 'postgres', skip: await postgresSkipReason() },
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
  afterAll(async () => {
    for (const schema of schemas) await dropSchema(schema);
  });
  const storeOf = (config: StorageConfig): Store => ({
    config,
    async open(options = {}) {
      const opened = await openStorage(
        { ...config, encryptionKey: options.encryptionKey ?? config.encryptionKey },
        { clock: options.clock ?? new ManualClock(), appVersion: 'test' },
      );
      onTestFinished(() => opened.close());
      return opened;
    },
    async exec(sql) {
      if (config.kind === 'local') {
        const db = openConnection(config.local.path);
        db.exec(sql);
        db.close();
      } else {
        await query(`SET search_path TO ${config.postgres.schema}; ${sql}`);
      }
    },
  });
  const freshStore = (): Store => {
    if (backend.name === 'sqlite') return storeOf({ encryptionKey: testKey, kind: 'local', local: { path: join(tempDir(), 'db.sqlite3') } });
    const schema = freshSchemaName();
    schemas.push(schema);
    return storeOf({ encryptionKey: testKey, kind: 'postgres', postgres: testPostgresConfig(schema) });
  };
  let shared: Store | undefined;
  const store = async (): Promise<Store> => {
    if (backend.name === 'sqlite') return freshStore();
    if (shared?.config.kind !== 'postgres') {
      shared = freshStore();
      return shared;
    }
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
