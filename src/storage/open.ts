import { type StorageConfig, describeMysqlAddress, describePostgresAddress } from '../config/storage.js';
import type { Clock } from '../shared/clock.js';
import type { StoreHealth } from '../shared/store-health.js';
import { SqliteStorage } from './sqlite/open.js';
import type { Storage } from './storage.js';

/** A storage provider opened for use, with what its start did. */
export interface OpenedStorage extends Storage {
  /** Migration versions applied by this start (empty when the schema was current). */
  readonly applied: readonly number[];
  /** A network database's reachability, for `/api/health` (PostgreSQL, MySQL); absent for SQLite, a local file. */
  readonly health?: StoreHealth | undefined;
}

/**
 * Opens the configured provider — SQLite (`storage.local`), PostgreSQL (`storage.postgres`) or
 * MySQL/MariaDB (`storage.mysql`) — migrated and with its encryption key checked.
 * @throws StartupError naming the storage key to fix (path, address, encryption key).
 */
export async function openStorage(config: StorageConfig, options: { readonly clock: Clock; readonly appVersion: string }): Promise<OpenedStorage> {
  if (config.kind === 'local') {
    return SqliteStorage.open({ path: config.local.path, encryptionKey: config.encryptionKey, clock: options.clock, appVersion: options.appVersion });
  }
  // Loaded only when configured: the drivers and providers are megabytes of code an SQLite install never runs.
  if (config.kind === 'mysql') {
    const { MysqlStorage } = await import('./mysql/open.js');
    return MysqlStorage.open({ config: config.mysql, encryptionKey: config.encryptionKey, clock: options.clock, appVersion: options.appVersion });
  }
  const { PostgresStorage } = await import('./postgres/open.js');
  return PostgresStorage.open({ config: config.postgres, encryptionKey: config.encryptionKey, clock: options.clock, appVersion: options.appVersion });
}

/** Where the configured storage is, for logs: the SQLite file, the PostgreSQL address, database and schema, or the MySQL address and database. */
export function storageLocation(config: StorageConfig): string {
  if (config.kind === 'local') return config.local.path;
  if (config.kind === 'mysql') return `${describeMysqlAddress(config.mysql.address)} database '${config.mysql.database}'`;
  const { address, database, schema } = config.postgres;
  return `${describePostgresAddress(address)} database '${database}' schema '${schema}'`;
}
