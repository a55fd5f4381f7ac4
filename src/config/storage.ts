import { defaults } from './defaults.js';
import { keyPath } from './problems.js';
import { type ReadContext, readMapping, readPath, readSecret } from './reader.js';
import { type MysqlStorageConfig, readMysql } from './storage-mysql.js';
import { type PostgresStorageConfig, readPostgres } from './storage-postgres.js';

export type { MysqlAddress, MysqlStorageConfig } from './storage-mysql.js';
export { describeMysqlAddress } from './storage-mysql.js';
export type { PostgresAddress, PostgresStorageConfig } from './storage-postgres.js';
export { describePostgresAddress } from './storage-postgres.js';

/** `storage.local`: the SQLite database file. */
export interface LocalStorageConfig {
  readonly path: string;
}

/**
 * `storage`: the encryption key and exactly one provider, SQLite (`local`, the default when
 * none is configured), PostgreSQL (`postgres`) or MySQL/MariaDB (`mysql`), told apart by `kind`.
 */
export type StorageConfig = {
  /** Derives the key that encrypts secrets at rest (TOTP secrets, OIDC material). */
  readonly encryptionKey: string;
} & (
  | { readonly kind: 'local'; readonly local: LocalStorageConfig }
  | { readonly kind: 'postgres'; readonly postgres: PostgresStorageConfig }
  | { readonly kind: 'mysql'; readonly mysql: MysqlStorageConfig }
);

/** The providers of `storage`, as its keys name them, and how messages name them. */
const providers = [
  ['local', 'SQLite'],
  ['postgres', 'PostgreSQL'],
  ['mysql', 'MySQL/MariaDB'],
] as const;

/** Reads `storage`. `encryption_key` is required and at least 20 characters; `local`, `postgres` and `mysql` exclude each other. */
export function readStorage(ctx: ReadContext, value: unknown): StorageConfig {
  const path = 'storage';
  const raw = readMapping(ctx, path, value, ['encryption_key', 'local', 'postgres', 'mysql']) ?? {};
  const keyAt = keyPath(path, 'encryption_key');
  const encryptionKey = readSecret(ctx, keyAt, raw.encryption_key, { required: true }) ?? '';
  const min = defaults.storage.encryptionKeyMinLength;
  if (encryptionKey !== '' && encryptionKey.length < min) {
    ctx.problems.error(keyAt, `must be at least ${min} characters but is ${encryptionKey.length} characters`);
  }
  const configured = (key: string) => raw[key] !== undefined && raw[key] !== null;
  const chosen = providers.filter(([key]) => configured(key));
  if (chosen.length > 1) {
    const all = providers.map(([key, name]) => `'${key}' (${name})`).join(', ');
    ctx.problems.error(path, `must configure one of ${all} but configures ${chosen.map(([key]) => `'${key}'`).join(' and ')}`);
  }
  const local = readLocal(ctx, keyPath(path, 'local'), raw.local);
  if (configured('postgres')) {
    const postgres = readPostgres(ctx, keyPath(path, 'postgres'), raw.postgres);
    if (postgres) return { encryptionKey, kind: 'postgres', postgres };
  }
  if (configured('mysql')) {
    const mysql = readMysql(ctx, keyPath(path, 'mysql'), raw.mysql);
    if (mysql) return { encryptionKey, kind: 'mysql', mysql };
  }
  return { encryptionKey, kind: 'local', local };
}

function readLocal(ctx: ReadContext, path: string, value: unknown): LocalStorageConfig {
  const local = readMapping(ctx, path, value, ['path']) ?? {};
  const at = keyPath(path, 'path');
  return { path: readPath(ctx, at, local.path) ?? readPath(ctx, at, defaults.storage.localPath)! };
}
