import type { Database } from 'better-sqlite3';
import { type Migration, readMigrations } from '../migration-files.js';

export type { Migration };

const migrationsDir = new URL('./migrations/', import.meta.url);

/** The numbered migration files (`0001-initial-schema.sql` …), in order. */
export function listMigrations(): Migration[] {
  return readMigrations(migrationsDir);
}

/** The highest applied version, 0 for a new database. */
export function currentVersion(db: Database): number {
  const table = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'migrations'").get();
  if (!table) return 0;
  const row = db.prepare('SELECT MAX(version) AS version FROM migrations').get() as { version: number | null };
  return row.version ?? 0;
}

/**
 * Applies every migration newer than the database, recording each in `migrations`.
 * Must run inside the caller's transaction, so that a failure leaves the database as it was.
 * @returns the versions applied.
 */
export function applyMigrations(db: Database, now: number, appVersion: string): number[] {
  db.exec(`CREATE TABLE IF NOT EXISTS migrations (
    version    INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    applied_at INTEGER NOT NULL,
    app_version TEXT NOT NULL
  )`);
  const from = currentVersion(db);
  const all = listMigrations();
  const latest = all.at(-1)?.version ?? 0;
  if (from > latest) {
    throw new Error(`the database is at schema version ${from}, newer than this Gatehouse knows (${latest}); upgrade Gatehouse`);
  }
  const record = db.prepare('INSERT INTO migrations (version, name, applied_at, app_version) VALUES (?, ?, ?, ?)');
  const applied: number[] = [];
  for (const migration of all.filter((m) => m.version > from)) {
    db.exec(migration.sql);
    record.run(migration.version, migration.name, now, appVersion);
    applied.push(migration.version);
  }
  return applied;
}
