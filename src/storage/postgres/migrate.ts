import { createHash } from 'node:crypto';
import { type Migration, readMigrations } from '../migration-files.js';
import { type Sql, first } from './db.js';

const migrationsDir = new URL('./migrations/', import.meta.url);

/** The numbered migration files (`0001-initial-schema.sql` …), in order: the same numbers and names as SQLite's. */
export function listMigrations(): Migration[] {
  return readMigrations(migrationsDir);
}

/**
 * The advisory lock that serialises preparing `schema`: a 64-bit number derived from its name, so
 * that instances starting together on one schema take turns, and other schemas are not held up.
 */
export function schemaLockKey(schema: string): string {
  return createHash('sha256').update(`gatehouse:storage:schema:${schema}`).digest().readBigInt64BE(0).toString();
}

/**
 * Takes the schema's lock for the rest of the caller's transaction (`pg_advisory_xact_lock`),
 * then creates the schema when it is missing. `schema` is a plain lower-case name (config).
 * @returns whether the schema existed.
 */
export async function lockSchema(sql: Sql, schema: string): Promise<boolean> {
  await sql.query('SELECT pg_advisory_xact_lock($1::bigint)', [schemaLockKey(schema)]);
  if (await first(sql, 'SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema])) return true;
  await sql.query(`CREATE SCHEMA ${schema}`);
  return false;
}

/** Whether `table` exists in `schema`. */
export async function tableExists(sql: Sql, schema: string, table: string): Promise<boolean> {
  return (await first(sql, 'SELECT 1 FROM pg_tables WHERE schemaname = $1 AND tablename = $2', [schema, table])) !== undefined;
}

/**
 * Applies every migration newer than the schema, recording each in `migrations`. Must run inside
 * the caller's transaction, after {@link lockSchema}, so that a failure leaves the schema as it
 * was and a second instance finds the work done.
 * @returns the versions applied.
 */
export async function applyMigrations(sql: Sql, schema: string, now: number, appVersion: string): Promise<number[]> {
  await sql.query(`CREATE TABLE IF NOT EXISTS ${schema}.migrations (
    version     INTEGER PRIMARY KEY,
    name        TEXT NOT NULL,
    applied_at  BIGINT NOT NULL,
    app_version TEXT NOT NULL
  )`);
  const from = (await first<{ version: number | null }>(sql, `SELECT MAX(version) AS version FROM ${schema}.migrations`))?.version ?? 0;
  const all = listMigrations();
  const latest = all.at(-1)?.version ?? 0;
  if (from > latest) {
    throw new Error(`the database is at schema version ${from}, newer than this Gatehouse knows (${latest}); upgrade Gatehouse`);
  }
  const applied: number[] = [];
  for (const migration of all.filter((m) => m.version > from)) {
    await sql.query(migration.sql);
    await sql.query(`INSERT INTO ${schema}.migrations (version, name, applied_at, app_version) VALUES ($1, $2, $3, $4)`, [
      migration.version,
      migration.name,
      now,
      appVersion,
    ]);
    applied.push(migration.version);
  }
  return applied;
}
