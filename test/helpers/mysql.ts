import { randomBytes } from 'node:crypto';
import mysql from 'mysql2/promise';
import type { MysqlStorageConfig } from '../../src/config/storage.js';

/**
 * The MySQL/MariaDB the tests use: MYSQL_HOST, MYSQL_PORT, MYSQL_USER and MYSQL_PASSWORD when
 * set, else 127.0.0.1:3306, user `root` with no password (as on the development machines and in
 * CI). Each test file works in its own databases (`gh_test_…`), dropped after.
 */
export const testMysql = {
  host: process.env.MYSQL_HOST ?? '127.0.0.1',
  port: Number(process.env.MYSQL_PORT ?? 3306),
  user: process.env.MYSQL_USER ?? 'root',
  password: process.env.MYSQL_PASSWORD,
};

const where = `${testMysql.user}@${testMysql.host}:${testMysql.port}`;

let availability: Promise<string | undefined> | undefined;

/**
 * Why the MySQL runs must be skipped here, or undefined when the server answers. In CI
 * (`CI=true`) they are mandatory: an unreachable server throws, failing the test file loudly.
 * Elsewhere the reason is printed once (console.warn) and the runs skip.
 */
export function mysqlSkipReason(): Promise<string | undefined> {
  availability ??= probe();
  return availability;
}

async function probe(): Promise<string | undefined> {
  try {
    await mysqlQuery('SELECT 1');
    return undefined;
  } catch (error) {
    const reason = `MySQL/MariaDB at ${where} is unreachable: ${(error as Error).message || (error as { code?: string }).code || String(error)}`;
    if (process.env.CI === 'true')
      throw new Error(`${reason}. CI (CI=true) requires it: start MariaDB or set MYSQL_HOST/MYSQL_PORT/MYSQL_USER/MYSQL_PASSWORD.`);
    console.warn(`Skipping the MySQL runs: ${reason} (set MYSQL_HOST/MYSQL_PORT/MYSQL_USER/MYSQL_PASSWORD, or start it)`);
    return reason;
  }
}

/** Runs statements on a connection of its own (set-up and inspection, not through Gatehouse), in `database` when given. */
export async function mysqlQuery<R = Record<string, unknown>>(text: string, values: unknown[] = [], database?: string): Promise<R[]> {
  const connection = await mysql.createConnection({
    ...testMysql,
    ...(database ? { database } : {}),
    connectTimeout: 3000,
    multipleStatements: true,
    supportBigNumbers: false,
  });
  try {
    const [rows] = await connection.query(text, values);
    return rows as R[];
  } finally {
    await connection.end();
  }
}

/** A new, empty database no other run uses (`gh_test_…`). */
export async function freshDatabase(): Promise<string> {
  const name = `gh_test_${randomBytes(6).toString('hex')}`;
  await mysqlQuery(`CREATE DATABASE ${name} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
  return name;
}

/** Drops a database made by a test, with everything in it. */
export async function dropDatabase(name: string): Promise<void> {
  await mysqlQuery(`DROP DATABASE IF EXISTS ${name}`);
}

/** `storage.mysql` for the tests' server and `database`. */
export function testMysqlConfig(database: string, overrides: Partial<MysqlStorageConfig> = {}): MysqlStorageConfig {
  return {
    address: { kind: 'tcp', host: testMysql.host, port: testMysql.port },
    database,
    username: testMysql.user,
    password: testMysql.password,
    timeout: 5000,
    tls: undefined,
    ...overrides,
  };
}
