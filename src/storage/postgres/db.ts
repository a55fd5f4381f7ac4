import type { Pool, QueryResult, QueryResultRow } from 'pg';

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

/**
 * Runs `work` in one transaction on one connection (READ COMMITTED): committed when it returns,
 * rolled back when it throws. A connection whose rollback fails is discarded, not reused.
 */
export async function transaction<T>(pool: Pool, work: (sql: Sql) => Promise<T>): Promise<T> {
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
