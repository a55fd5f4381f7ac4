import type { Connection, Pool, PoolConnection, ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import { retryConflicts } from '../conflict.js';

/**
 * What runs a statement: the pool (any connection) or one connection inside a transaction, and
 * `storage.mysql.timeout`, after which a statement without an answer is given up (its
 * connection is closed: the driver cannot tell the server to stop waiting otherwise).
 */
export interface Sql {
  readonly on: Pool | Connection;
  readonly timeout: number;
}

/** The pool of a provider, as repositories use it (transactions take a connection of it). */
export interface Db extends Sql {
  readonly on: Pool;
}

/** The rows a statement returns (`?` placeholders, values escaped by the driver). */
export async function rows<R>(sql: Sql, text: string, values: unknown[] = []): Promise<R[]> {
  const [found] = await onItsOwn(sql, () => sql.on.query<RowDataPacket[]>({ sql: text, values, timeout: sql.timeout }));
  return found as unknown as R[];
}

/** The first row a statement returns, if any. */
export async function first<R>(sql: Sql, text: string, values: unknown[] = []): Promise<R | undefined> {
  return (await rows<R>(sql, text, values))[0];
}

/** Runs a statement that returns no rows: its header (affected rows, the inserted id). */
export async function run(sql: Sql, text: string, values: unknown[] = []): Promise<ResultSetHeader> {
  const [header] = await onItsOwn(sql, () => sql.on.query<ResultSetHeader>({ sql: text, values, timeout: sql.timeout }));
  return header;
}

/** MySQL's error number for a transaction rolled back as a deadlock's victim (ER_LOCK_DEADLOCK). */
const deadlock = 1213;

/** Whether `error` says the transaction (or the statement on its own) was a deadlock's victim, rolled back. */
export const isDeadlock = (error: unknown): boolean => (error as { errno?: unknown } | undefined)?.errno === deadlock;

/**
 * A statement on the pool is a transaction of its own (autocommit): one that lost a deadlock is
 * run again. Inside a transaction a statement is run once: the whole transaction is retried.
 */
function onItsOwn<T>(sql: Sql, statement: () => Promise<T>): Promise<T> {
  return 'getConnection' in sql.on ? retryConflicts(isDeadlock, statement) : statement();
}

/**
 * How many rows a statement matched. The connection flag FOUND_ROWS (mysql2's default) makes an
 * UPDATE count the rows its WHERE found, as PostgreSQL and SQLite do, not only those it changed.
 */
export async function changes(sql: Sql, text: string, values: unknown[] = []): Promise<number> {
  return (await run(sql, text, values)).affectedRows;
}

/** MySQL's error number for a duplicate key (ER_DUP_ENTRY). */
const duplicateKey = 1062;

/**
 * Inserts one row; false when a unique key already holds it (the row is left as it is). One
 * statement: of two instances inserting the same key at once, exactly one gets true.
 */
export async function insertOnce(sql: Sql, text: string, values: unknown[]): Promise<boolean> {
  try {
    return (await run(sql, text, values)).affectedRows === 1;
  } catch (error) {
    if ((error as { errno?: unknown }).errno === duplicateKey) return false;
    throw error;
  }
}

/**
 * Runs `work` in one transaction on one connection (READ COMMITTED, set on every connection of
 * the pool): committed when it returns, rolled back when it throws. A connection whose rollback
 * fails is destroyed, not reused. A transaction the server rolled back as a deadlock's victim is
 * run again from the start (`work` must touch nothing but the database), a few times at most.
 */
export function transaction<T>(db: Db, work: (sql: Sql) => Promise<T>): Promise<T> {
  return retryConflicts(isDeadlock, () => once(db, work));
}

async function once<T>(db: Db, work: (sql: Sql) => Promise<T>): Promise<T> {
  const connection: PoolConnection = await db.on.getConnection();
  const sql: Sql = { on: connection, timeout: db.timeout };
  try {
    await run(sql, 'START TRANSACTION');
    const result = await work(sql);
    await run(sql, 'COMMIT');
    connection.release();
    return result;
  } catch (error) {
    try {
      await run(sql, 'ROLLBACK');
      connection.release();
    } catch {
      connection.destroy();
    }
    throw error;
  }
}

/** `(?, ?, …), (?, …)` for a multi-row INSERT of `count` rows of `width` columns. */
export function valuesList(count: number, width: number): string {
  const row = `(${Array.from({ length: width }, () => '?').join(', ')})`;
  return Array.from({ length: count }, () => row).join(', ');
}

/** A BOOLEAN (TINYINT(1)) column as read: 0 or 1. */
export const flag = (value: unknown): boolean => Boolean(Number(value));
