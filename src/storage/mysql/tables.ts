import type { PoolConnection } from 'mysql2/promise';
import { type CopiedRow, type SchemaView, type TableReader, type TableWriter, quoteName } from '../copy/table-io.js';
import { type Db, type Sql, first, rows as allRows, run, valuesList } from './db.js';
import { listTables } from './migrate.js';

/** Most values one INSERT carries (MySQL's limit for one prepared statement is 65 535; the packet stays well under max_allowed_packet). */
const maxParameters = 10_000;

/** A table or column name as MySQL quotes it (checked as `quoteName` checks it). */
const tick = (name: string) => `\`${quoteName(name).slice(1, -1)}\``;

/** How long `storage copy` lets one statement take: a large table is read and written in batches, each well within it. */
const copyTimeout = 600_000;

/** The database of a MySQL/MariaDB store, as `storage copy` sees it. */
class MysqlSchema implements SchemaView {
  protected readonly sql: Sql;

  constructor(protected readonly connection: PoolConnection) {
    this.sql = { on: connection, timeout: copyTimeout };
  }

  tables(): Promise<string[]> {
    return listTables(this.sql);
  }

  async columns(table: string): Promise<string[]> {
    const found = await allRows<{ name: string }>(
      this.sql,
      'SELECT column_name AS name FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name = ? ORDER BY ordinal_position',
      [table],
    );
    return found.map((r) => r.name);
  }

  async schemaVersion(): Promise<number> {
    return (await first<{ version: number | null }>(this.sql, 'SELECT MAX(version) AS version FROM migrations'))?.version ?? 0;
  }

  /** Returns the connection to the pool; a connection whose transaction may be open is destroyed. */
  protected release(clean: boolean): void {
    if (clean) this.connection.release();
    else this.connection.destroy();
  }
}

/** Reads a MySQL store in one `REPEATABLE READ` read-only transaction with a consistent snapshot: one snapshot for every table. */
export class MysqlTableReader extends MysqlSchema implements TableReader {
  static async open(db: Db): Promise<MysqlTableReader> {
    const connection = await db.on.getConnection();
    const reader = new MysqlTableReader(connection);
    try {
      await run(reader.sql, 'SET TRANSACTION ISOLATION LEVEL REPEATABLE READ');
      await run(reader.sql, 'START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY');
    } catch (error) {
      reader.release(false);
      throw error;
    }
    return reader;
  }

  /** In primary-key order, `batchSize` rows at a time (LIMIT … OFFSET within the snapshot). */
  async *rows(table: string, columns: readonly string[], batchSize: number): AsyncIterable<CopiedRow[]> {
    const key = await allRows<{ name: string }>(
      this.sql,
      `SELECT column_name AS name FROM information_schema.key_column_usage
       WHERE table_schema = DATABASE() AND table_name = ? AND constraint_name = 'PRIMARY' ORDER BY ordinal_position`,
      [table],
    );
    const order = (key.length > 0 ? key.map((k) => k.name) : columns).map(tick).join(', ');
    const select = `SELECT ${columns.map(tick).join(', ')} FROM ${tick(table)} ORDER BY ${order} LIMIT ? OFFSET ?`;
    for (let offset = 0; ; offset += batchSize) {
      const batch = await allRows<CopiedRow>(this.sql, select, [batchSize, offset]);
      if (batch.length > 0) yield batch;
      if (batch.length < batchSize) return;
    }
  }

  async close(): Promise<void> {
    try {
      await run(this.sql, 'COMMIT');
      this.release(true);
    } catch {
      this.release(false);
    }
  }
}

/**
 * Writes a MySQL store in one transaction (REPEATABLE READ). Every row of its data tables is read
 * with a locking read from the start: InnoDB's next-key locks then keep other writers out of
 * those tables (inserts included) until the commit, so nothing else writes between the check that
 * the target is empty and the commit. Rows are removed with DELETE (TRUNCATE would commit).
 */
export class MysqlTableWriter extends MysqlSchema implements TableWriter {
  /** Begins the transaction and locks those of `lockTables` that exist. */
  static async open(db: Db, lockTables: readonly string[]): Promise<MysqlTableWriter> {
    const connection = await db.on.getConnection();
    const writer = new MysqlTableWriter(connection);
    try {
      await run(writer.sql, 'SET TRANSACTION ISOLATION LEVEL REPEATABLE READ');
      await run(writer.sql, 'START TRANSACTION');
      const existing = new Set(await writer.tables());
      for (const table of lockTables.filter((t) => existing.has(t))) await run(writer.sql, `SELECT COUNT(*) FROM ${tick(table)} FOR UPDATE`);
    } catch (error) {
      await writer.rollback();
      throw error;
    }
    return writer;
  }

  async count(table: string): Promise<number> {
    return Number((await first<{ n: number }>(this.sql, `SELECT COUNT(*) AS n FROM ${tick(table)}`))?.n ?? 0);
  }

  async empty(tables: readonly string[]): Promise<void> {
    for (const table of tables) await run(this.sql, `DELETE FROM ${tick(table)}`);
  }

  /**
   * Multi-row INSERTs with the rows' own ids (InnoDB moves AUTO_INCREMENT past them by itself).
   * Flags read as booleans (PostgreSQL) are sent as TRUE/FALSE, which TINYINT(1) stores as 1/0.
   */
  async insert(table: string, columns: readonly string[], rows: readonly CopiedRow[]): Promise<void> {
    const perStatement = Math.max(1, Math.floor(maxParameters / columns.length));
    const names = columns.map(tick).join(', ');
    for (let start = 0; start < rows.length; start += perStatement) {
      const chunk = rows.slice(start, start + perStatement);
      const values = chunk.flatMap((row) => columns.map((c) => row[c] ?? null));
      await run(this.sql, `INSERT INTO ${tick(table)} (${names}) VALUES ${valuesList(chunk.length, columns.length)}`, values);
    }
  }

  async commit(): Promise<void> {
    await run(this.sql, 'COMMIT');
    this.release(true);
  }

  async rollback(): Promise<void> {
    try {
      await run(this.sql, 'ROLLBACK');
      this.release(true);
    } catch {
      this.release(false);
    }
  }
}
