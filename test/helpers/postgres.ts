import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { PostgresStorageConfig } from '../../src/config/storage.js';

/**
 * The PostgreSQL the tests use: libpq's variables PGHOST, PGPORT, PGUSER, PGPASSWORD and
 * PGDATABASE when set, else 127.0.0.1:5432, user `postgres`, database `test` (as on the
 * development machines and in CI). Each test file works in its own schemas, dropped after.
 */
export const testPostgres = {
  host: process.env.PGHOST ?? '127.0.0.1',
  port: Number(process.env.PGPORT ?? 5432),
  user: process.env.PGUSER ?? 'postgres',
  password: process.env.PGPASSWORD,
  database: process.env.PGDATABASE ?? 'test',
};

const where = `${testPostgres.user}@${testPostgres.host}:${testPostgres.port}/${testPostgres.database}`;

let availability: Promise<string | undefined> | undefined;

/**
 * Why the PostgreSQL runs must be skipped here, or undefined when the server answers. In CI
 * (`CI=true`) they are mandatory: an unreachable server throws, failing the test file loudly.
 * Elsewhere the reason is printed once (console.warn) and the runs skip.
 */
export function postgresSkipReason(): Promise<string | undefined> {
  availability ??= probe();
  return availability;
}

async function probe(): Promise<string | undefined> {
  try {
    await query('SELECT 1');
    return undefined;
  } catch (error) {
    const reason = `PostgreSQL at ${where} is unreachable: ${(error as Error).message || (error as { code?: string }).code || String(error)}`;
    if (process.env.CI === 'true') throw new Error(`${reason}. CI (CI=true) requires it: start PostgreSQL or set PGHOST/PGPORT/PGUSER/PGPASSWORD/PGDATABASE.`);
    console.warn(`Skipping the PostgreSQL runs: ${reason} (set PGHOST/PGPORT/PGUSER/PGPASSWORD/PGDATABASE, or start it)`);
    return reason;
  }
}

/** Runs one statement on a connection of its own (for set-up and inspection, not through Gatehouse). */
export async function query<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<R[]> {
  const client = new pg.Client({ ...testPostgres, connectionTimeoutMillis: 3000 });
  await client.connect();
  try {
    return (await client.query<R>(text, values)).rows;
  } finally {
    await client.end();
  }
}

/** A schema name no other run uses (`gh_test_…`); nothing is created until Gatehouse opens it. */
export function freshSchemaName(): string {
  return `gh_test_${randomBytes(6).toString('hex')}`;
}

/** Drops a schema made by a test, with everything in it. */
export async function dropSchema(schema: string): Promise<void> {
  await query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
}

/** `storage.postgres` for the tests' server and `schema`. */
export function testPostgresConfig(schema: string, overrides: Partial<PostgresStorageConfig> = {}): PostgresStorageConfig {
  return {
    address: { kind: 'tcp', host: testPostgres.host, port: testPostgres.port },
    database: testPostgres.database,
    schema,
    username: testPostgres.user,
    password: testPostgres.password,
    timeout: 5000,
    tls: undefined,
    ...overrides,
  };
}
