import pg from 'pg';
import type { PostgresStorageConfig } from '../../config/storage.js';
import { connectError } from './connect-error.js';
import { first } from './db.js';
import { poolConfig } from './pool.js';

/**
 * Whether the schema of `storage.postgres` holds a Gatehouse store (its `migrations` table),
 * without creating or changing anything.
 * @throws StartupError `GH_STORAGE_CONNECT` naming the key to fix when the server cannot be reached.
 */
export async function postgresHasStorage(config: PostgresStorageConfig): Promise<boolean> {
  const client = new pg.Client(poolConfig(config));
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (cause) {
    await client.end().catch(() => undefined);
    throw connectError(config, cause);
  }
  try {
    const row = await first<{ found: boolean }>(client, 'SELECT to_regclass($1) IS NOT NULL AS found', [`${config.schema}.migrations`]);
    return row?.found === true;
  } finally {
    await client.end().catch(() => undefined);
  }
}
