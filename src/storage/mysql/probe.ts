import type { MysqlStorageConfig } from '../../config/storage.js';
import { tableExists } from './migrate.js';
import { connect } from './open.js';

/**
 * Whether the database of `storage.mysql` holds a Gatehouse store (its `migrations` table),
 * without creating or changing anything.
 * @throws StartupError `GH_STORAGE_CONNECT` naming the key to fix when the server cannot be reached.
 */
export async function mysqlHasStorage(config: MysqlStorageConfig): Promise<boolean> {
  const connection = await connect(config, false);
  try {
    return await tableExists({ on: connection, timeout: config.timeout }, 'migrations');
  } finally {
    await connection.end().catch(() => connection.destroy());
  }
}
