import type { Pool, PoolClient } from 'pg';
import { type CopiedRow, type SchemaView, type TableReader, type TableWriter, quoteName } from '../copy/table-io.js';
import { first, rows as allRows, valuesList } from './db.js';

/** Most bind parameters one statement may carry (PostgreSQL's protocol allows 65 535). */
const maxParameters = 30_000;

/** The schema of a PostgreSQL store (the connection's `search_path`), as `storage copy` sees it. */
class PostgresSchema implements SchemaView {
  constructor(protected readonly client: PoolClient) {}

  async tables(): Promise<string[]> {
    const found = await allRows<{ name: string }>(
      this.client,
      'SELECT tablename AS name FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename',
    );
    return found.map((r) => r.name);
  }

  async columns(table: string): Promise<string[]> {
    const found = await allRows<{ name: string }>(
      this.client,
      'SELECT column_name AS name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position',
      [table],
    );
    return found.map((r) => r.name);
  }

  async schemaVersion(): Promise<number> {
    return (await first<{ version: number | null }>(this.client, 'SELECT MAX(version) AS version FROM migrations'))?.version ?? 0;
  }

  /** Returns the connection to the pool; a connection whose transaction may be open is discarded. */
  protected release(clean: boolean): void {
    this.client.release(clean ? undefined : true);
  }
}

/** Reads a PostgreSQL store in one `REPEATABLE READ READ ONLY` transaction: one snapshot for every table. */
export class PostgresTableReader extends PostgresSchema implements TableReader {
  #cursors = 0;

  static async open(pool: Pool): Promise<PostgresTableReader> {
    const client = await pool.connect();
    try {
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    } catch (error) {
      client.release(true);
      throw error;
    }
    return new PostgresTableReader(client);
  }

  /** Through a cursor: the server holds the result, the copy fetches `batchSize` rows at a time. */
  async *rows(table: string, columns: readonly string[], batchSize: number): AsyncIterable<CopiedRow[]> {
    const cursor = `gatehouse_copy_${++this.#cursors}`;
    await this.client.query(`DECLARE ${cursor} NO SCROLL CURSOR FOR SELECT ${columns.map(quoteName).join(', ')} FROM ${quoteName(table)}`);
    try {
      for (;;) {
        const batch = await allRows<CopiedRow>(this.client, `FETCH FORWARD ${batchSize} FROM ${cursor}`);
        if (batch.length > 0) yield batch;
        if (batch.length < batchSize) return;
      }
    } finally {
      await this.client.query(`CLOSE ${cursor}`).catch(() => undefined);
    }
  }

  async close(): Promise<void> {
    try {
      await this.client.query('COMMIT');
      this.release(true);
    } catch {
      this.release(false);
    }
  }
}

/**
 * Writes a PostgreSQL store in one transaction. Its data tables are locked against writers
 * (`EXCLUSIVE`: readers go on) from the start, so nothing else writes between the check that the
 * target is empty and the commit.
 */
export class PostgresTableWriter extends PostgresSchema implements TableWriter {
  /** Begins the transaction and locks those of `lockTables` that exist. */
  static async open(pool: Pool, lockTables: readonly string[]): Promise<PostgresTableWriter> {
    const client = await pool.connect();
    const writer = new PostgresTableWriter(client);
    try {
      await client.query('BEGIN');
      const existing = new Set(await writer.tables());
      const locked = lockTables.filter((t) => existing.has(t));
      if (locked.length > 0) await client.query(`LOCK TABLE ${locked.map(quoteName).join(', ')} IN EXCLUSIVE MODE`);
    } catch (error) {
      await writer.rollback();
      throw error;
    }
    return writer;
  }

  async count(table: string): Promise<number> {
    return (await first<{ n: number }>(this.client, `SELECT COUNT(*) AS n FROM ${quoteName(table)}`))?.n ?? 0;
  }

  async empty(tables: readonly string[]): Promise<void> {
    if (tables.length > 0) await this.client.query(`TRUNCATE ${tables.map(quoteName).join(', ')}`);
  }

  /**
   * Multi-row INSERTs with the rows' own ids (`OVERRIDING SYSTEM VALUE` for the identity columns).
   * Flags read from SQLite as 0/1 are sent as '0'/'1', which BOOLEAN accepts.
   */
  async insert(table: string, columns: readonly string[], rows: readonly CopiedRow[]): Promise<void> {
    const perStatement = Math.max(1, Math.floor(maxParameters / columns.length));
    const names = columns.map(quoteName).join(', ');
    for (let start = 0; start < rows.length; start += perStatement) {
      const chunk = rows.slice(start, start + perStatement);
      const values = chunk.flatMap((row) => columns.map((c) => row[c] ?? null));
      await this.client.query(`INSERT INTO ${quoteName(table)} (${names}) OVERRIDING SYSTEM VALUE VALUES ${valuesList(chunk.length, columns.length)}`, values);
    }
  }

  /** Moves each identity column's sequence past the highest id (never back), then commits. */
  async commit(): Promise<void> {
    const identities = await allRows<{ table_name: string; column_name: string }>(
      this.client,
      "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = current_schema() AND is_identity = 'YES'",
    );
    for (const { table_name: table, column_name: column } of identities) {
      const sequence = (
        await first<{ name: string }>(this.client, 'SELECT pg_get_serial_sequence(quote_ident(current_schema()) || $1, $2) AS name', [
          `.${quoteName(table)}`,
          column,
        ])
      )?.name;
      if (!sequence) continue;
      // setval is not undone by a rollback: it only ever moves a sequence forward, when its next value is taken.
      await this.client.query(
        `SELECT setval($1::regclass, x.top) FROM (SELECT MAX(${quoteName(column)}) AS top FROM ${quoteName(table)}) x, ${sequence} s
          WHERE x.top >= s.last_value + CASE WHEN s.is_called THEN 1 ELSE 0 END`,
        [sequence],
      );
    }
    await this.client.query('COMMIT');
    this.release(true);
  }

  async rollback(): Promise<void> {
    try {
      await this.client.query('ROLLBACK');
      this.release(true);
    } catch {
      this.release(false);
    }
  }
}
