import { existsSync } from 'node:fs';
import type { StorageConfig } from '../../config/storage.js';
import { GatehouseError } from '../../shared/errors.js';
import { MysqlStorage } from '../mysql/open.js';
import { mysqlHasStorage } from '../mysql/probe.js';
import { MysqlTableReader, MysqlTableWriter } from '../mysql/tables.js';
import { PostgresStorage } from '../postgres/open.js';
import { postgresHasStorage } from '../postgres/probe.js';
import { PostgresTableReader, PostgresTableWriter } from '../postgres/tables.js';
import { SqliteStorage } from '../sqlite/open.js';
import { SqliteTableReader, SqliteTableWriter } from '../sqlite/tables.js';
import type { Storage } from '../storage.js';
import type { TableReader, TableWriter } from './table-io.js';

/** A snapshot reader on an opened store (its connection is the copy's for as long as it reads). */
export function openTableReader(storage: Storage): Promise<TableReader> {
  if (storage instanceof SqliteStorage) return SqliteTableReader.open(storage.db);
  if (storage instanceof PostgresStorage) return PostgresTableReader.open(storage.pool);
  if (storage instanceof MysqlStorage) return MysqlTableReader.open(storage.db);
  throw new GatehouseError('GH_STORAGE_COPY', `storage copy cannot read a '${storage.provider}' store`);
}

/** A writer on an opened store, in one transaction; on PostgreSQL and MySQL `tables` are locked against other writers until it ends. */
export function openTableWriter(storage: Storage, tables: readonly string[]): Promise<TableWriter> {
  if (storage instanceof SqliteStorage) return SqliteTableWriter.open(storage.db);
  if (storage instanceof PostgresStorage) return PostgresTableWriter.open(storage.pool, tables);
  if (storage instanceof MysqlStorage) return MysqlTableWriter.open(storage.db, tables);
  throw new GatehouseError('GH_STORAGE_COPY', `storage copy cannot write a '${storage.provider}' store`);
}

/**
 * Whether the configured store exists (the SQLite file; the PostgreSQL schema's or MySQL database's tables), found
 * without creating anything: opening a store that does not exist creates it.
 * @throws StartupError `GH_STORAGE_CONNECT` when the PostgreSQL or MySQL server cannot be reached.
 */
export async function storageExists(config: StorageConfig): Promise<boolean> {
  if (config.kind === 'local') return config.local.path === ':memory:' || existsSync(config.local.path);
  if (config.kind === 'mysql') return mysqlHasStorage(config.mysql);
  return postgresHasStorage(config.postgres);
}
