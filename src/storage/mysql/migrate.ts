import { createHash } from 'node:crypto';
import { type Migration, readMigrations } from '../migration-files.js';
import { type Sql, first, rows, run } from './db.js';

const migrationsDir = new URL('./migrations/', import.meta.url);

/** The numbered migration files (`0001-initial-schema.sql` …), in order: the same numbers and names as SQLite's. */
export function listMigrations(): Migration[] {
  return readMigrations(migrationsDir);
}

/**
 * The name of the server-wide lock (`GET_LOCK`) that serialises preparing `database`: instances
 * starting together on one database take turns; other databases are not held up. At most 64
 * characters (MySQL's limit), hence a digest.
 */
export function databaseLockName(database: string): string {
  return `gatehouse:${createHash('sha256').update(`storage:database:${database}`).digest('hex').slice(0, 40)}`;
}

/**
 * Takes the database's lock on this connection, waiting at most `seconds`.
 * @throws Error when another instance holds it longer.
 */
export async function lockDatabase(sql: Sql, database: string, seconds: number): Promise<void> {
  const found = await first<{ got: number | null }>(sql, 'SELECT GET_LOCK(?, ?) AS got', [databaseLockName(database), seconds]);
  if (found?.got !== 1) {
    throw new Error(`another Gatehouse instance has been preparing the database for more than ${seconds} seconds`);
  }
}

/** Releases the lock of {@link lockDatabase}. */
export async function unlockDatabase(sql: Sql, database: string): Promise<void> {
  await run(sql, 'SELECT RELEASE_LOCK(?)', [databaseLockName(database)]);
}

/** Whether `table` exists in the connection's database. */
export async function tableExists(sql: Sql, table: string): Promise<boolean> {
  const found = await first(sql, 'SELECT 1 FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = ?', [table]);
  return found !== undefined;
}

/** The tables of the connection's database, sorted. */
export async function listTables(sql: Sql): Promise<string[]> {
  const found = await rows<{ name: string }>(
    sql,
    'SELECT table_name AS name FROM information_schema.tables WHERE table_schema = DATABASE() ORDER BY table_name',
  );
  return found.map((r) => r.name);
}

/**
 * Applies every migration newer than the database, recording each in `migrations` once it is in.
 * MySQL commits each DDL statement as it runs (no transactional DDL): the caller holds
 * {@link lockDatabase} so that instances starting together migrate once, and a migration that
 * fails part-way is reported naming its version (the ones before it stay recorded).
 * The connection must allow several statements per query (a migration file is run whole).
 * @returns the versions applied.
 */
export async function applyMigrations(sql: Sql, now: number, appVersion: string): Promise<number[]> {
  await run(
    sql,
    `CREATE TABLE IF NOT EXISTS migrations (
    version     INTEGER NOT NULL PRIMARY KEY,
    name        VARCHAR(255) NOT NULL,
    applied_at  BIGINT NOT NULL,
    app_version VARCHAR(255) NOT NULL
  ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin`,
  );
  const from = (await first<{ version: number | null }>(sql, 'SELECT MAX(version) AS version FROM migrations'))?.version ?? 0;
  const all = listMigrations();
  const latest = all.at(-1)?.version ?? 0;
  if (from > latest) {
    throw new Error(`the database is at schema version ${from}, newer than this Gatehouse knows (${latest}); upgrade Gatehouse`);
  }
  const applied: number[] = [];
  for (const migration of all.filter((m) => m.version > from)) {
    try {
      await run(sql, migration.sql);
    } catch (error) {
      throw new Error(`migration ${migration.version} (${migration.name}) failed: ${(error as Error)?.message ?? String(error)}`, { cause: error });
    }
    await run(sql, 'INSERT INTO migrations (version, name, applied_at, app_version) VALUES (?, ?, ?, ?)', [migration.version, migration.name, now, appVersion]);
    applied.push(migration.version);
  }
  return applied;
}
