import pg, { type Pool, type QueryResult, type QueryResultRow } from 'pg';
import { retryConflicts } from '../conflict.js';

/** What runs a statement: the pool (any connection) or one connection inside a transaction. */
export interface Sql {
  query<R extends QueryResultRow = QueryResultRow>(text: string, values?: unknown[]): Promise<QueryResult<R>>;
}

/** The rows a statement returns. */
export async function rows<R extends QueryResultRow>(sql: Sql, text: string, values: unknown[] = []): Promise<R[]> {
  return (await sql.query<R>(text, values)).rows;
}

/** The first row a statement returns, if any. */
export async function first<R extends QueryResultRow>(sql: Sql, text: string, values: unknown[] = []): Promise<R | undefined> {
  return (await sql.query<R>(text, values)).rows[0];
}

/** How many rows a statement changed. */
export async function changes(sql: Sql, text: string, values: unknown[] = []): Promise<number> {
  return (await sql.query(text, values)).rowCount ?? 0;
}

/** SQLSTATEs of a transaction the server rolled back to end a conflict: deadlock_detected, serialization_failure. */
const conflictStates = new Set(['40P01', '40001']);

/** Whether `error` says the transaction (or the statement on its own) lost a deadlock and was rolled back. */
export const isConflict = (error: unknown): boolean => conflictStates.has((error as { code?: unknown } | undefined)?.code as string);

/**
 * The pool the repositories use: a statement run on the pool is a transaction of its own
 * (autocommit), and one that lost a deadlock is run again. Statements on a connection taken for a
 * transaction are run once: the whole transaction is retried ({@link transaction}).
 */
export class RetryingPool extends pg.Pool {
  // biome-ignore lint/suspicious/noExplicitAny: pg's overloads of query, passed through as they are
  override query(...args: any[]): any {
    const run = () => (super.query as (...a: unknown[]) => unknown).apply(this, args);
    if (typeof args.at(-1) === 'function' || typeof args[0]?.submit === 'function') return run();
    return retryConflicts(isConflict, () => run() as Promise<unknown>);
  }
}

/**
 * Runs `work` in one transaction on one connection (READ COMMITTED): committed when it returns,
 * rolled back when it throws. A connection whose rollback fails is discarded, not reused. A
 * transaction the server rolled back as a deadlock's victim is run again from the start (`work`
 * must touch nothing but the database), a few times at most.
 */
export function transaction<T>(pool: Pool, work: (sql: Sql) => Promise<T>): Promise<T> {
  return retryConflicts(isConflict, () => once(pool, work));
}

async function once<T>(pool: Pool, work: (sql: Sql) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    client.release();
    return result;
  } catch (error) {
    try {
      await client.query('ROLLBACK');
      client.release();
    } catch (rollbackError) {
      client.release(rollbackError instanceof Error ? rollbackError : true);
    }
    throw error;
  }
}

/** `($1, $2, …), ($n+1, …)` for a multi-row INSERT of `count` rows of `width` columns. */
export function valuesList(count: number, width: number): string {
  return Array.from({ length: count }, (_, row) => `(${Array.from({ length: width }, (_, column) => `$${row * width + column + 1}`).join(', ')})`).join(', ');
}
