import { defaults } from './defaults.js';
import { keyPath } from './problems.js';
import { type ReadContext, readMapping, readPath, readSecret } from './reader.js';
import { type PostgresStorageConfig, readPostgres } from './storage-postgres.js';

export type { PostgresAddress, PostgresStorageConfig } from './storage-postgres.js';
export { describePostgresAddress } from './storage-postgres.js';

/** `storage.local`: the SQLite database file. */
export interface LocalStorageConfig {
  readonly path: string;
}

/**
 * `storage`: the encryption key and exactly one provider, SQLite (`local`, the default when
 * neither is configured) or PostgreSQL (`postgres`), told apart by `kind`.
 */
export type StorageConfig = {
  /** Derives the key that encrypts secrets at rest (TOTP secrets, OIDC material). */
  readonly encryptionKey: string;
} & ({ readonly kind: 'local'; readonly local: LocalStorageConfig } | { readonly kind: 'postgres'; readonly postgres: PostgresStorageConfig });

/** Reads `storage`. `encryption_key` is required and at least 20 characters; `local` and `postgres` exclude each other. */
export function readStorage(ctx: ReadContext, value: unknown): StorageConfig {
  const path = 'storage';
  const raw = readMapping(ctx, path, value, ['encryption_key', 'local', 'postgres', 'mysql']) ?? {};
  const keyAt = keyPath(path, 'encryption_key');
  const encryptionKey = readSecret(ctx, keyAt, raw.encryption_key, { required: true }) ?? '';
  const min = defaults.storage.encryptionKeyMinLength;
  if (encryptionKey !== '' && encryptionKey.length < min) {
    ctx.problems.error(keyAt, `must be at least ${min} characters but is ${encryptionKey.length} characters`);
  }
  if (raw.mysql !== undefined) {
    ctx.problems.error(keyPath(path, 'mysql'), 'is not supported by this version of Gatehouse; use storage.local or storage.postgres');
  }
  const configured = (key: string) => raw[key] !== undefined && raw[key] !== null;
  if (configured('local') && configured('postgres')) {
    ctx.problems.error(path, "must configure one of 'local' (SQLite) and 'postgres' (PostgreSQL) but configures both");
  }
  const local = readLocal(ctx, keyPath(path, 'local'), raw.local);
  if (configured('postgres')) {
    const postgres = readPostgres(ctx, keyPath(path, 'postgres'), raw.postgres);
    if (postgres) return { encryptionKey, kind: 'postgres', postgres };
  }
  return { encryptionKey, kind: 'local', local };
}

function readLocal(ctx: ReadContext, path: string, value: unknown): LocalStorageConfig {
  const local = readMapping(ctx, path, value, ['path']) ?? {};
  const at = keyPath(path, 'path');
  return { path: readPath(ctx, at, local.path) ?? readPath(ctx, at, defaults.storage.localPath)! };
}
