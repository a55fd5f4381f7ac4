import type { Database } from 'better-sqlite3';
import { type CopiedRow, type CopiedValue, type SchemaView, type TableReader, type TableWriter, quoteName } from '../copy/table-io.js';

/** The schema of a SQLite database, as `storage copy` sees it. */
class SqliteSchema implements SchemaView {
  constructor(protected readonly db: Database) {}

  async tables(): Promise<string[]> {
    const rows = this.db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as { name: string }[];
    return rows.map((r) => r.name);
  }

  async columns(table: string): Promise<string[]> {
    const rows = this.db.prepare('SELECT name FROM pragma_table_info(?) ORDER BY cid').all(table) as { name: string }[];
    return rows.map((r) => r.name);
  }

  async schemaVersion(): Promise<number> {
    return (this.db.prepare('SELECT MAX(version) AS version FROM migrations').get() as { version: number | null }).version ?? 0;
  }
}

/** The name the rowid is read under (no table of ours has a column of that name). */
const rowidColumn = '__gatehouse_copy_rowid';

/**
 * Reads a SQLite database in one read transaction (in WAL mode a snapshot: writers that commit
 * meanwhile are not seen). Use its own connection: a statement being iterated keeps it busy.
 */
export class SqliteTableReader extends SqliteSchema implements TableReader {
  static async open(db: Database): Promise<SqliteTableReader> {
    db.exec('BEGIN DEFERRED');
    // The snapshot starts with the first read.
    db.prepare('SELECT COUNT(*) FROM sqlite_master').get();
    return new SqliteTableReader(db);
  }

  /**
   * The rows in batches, by rowid (keyset pagination inside the read transaction: the same
   * snapshot throughout). Not `Statement.iterate()`: on Node 24 an iterator better-sqlite3 12 has
   * not yet collected when the process exits aborts it (a native assertion in its destructor).
   */
  async *rows(table: string, columns: readonly string[], batchSize: number): AsyncIterable<CopiedRow[]> {
    const statement = this.db.prepare(
      `SELECT rowid AS ${quoteName(rowidColumn)}, ${columns.map(quoteName).join(', ')} FROM ${quoteName(table)} WHERE rowid > ? ORDER BY rowid LIMIT ?`,
    );
    let after = Number.MIN_SAFE_INTEGER;
    for (;;) {
      const rows = statement.all(after, batchSize) as (CopiedRow & { [rowidColumn]: number })[];
      if (rows.length === 0) return;
      after = rows.at(-1)![rowidColumn];
      yield rows.map(({ [rowidColumn]: _, ...row }) => row as CopiedRow);
      if (rows.length < batchSize) return;
    }
  }

  async close(): Promise<void> {
    if (this.db.inTransaction) this.db.exec('COMMIT');
  }
}

/** Writes a SQLite database in one `BEGIN IMMEDIATE` transaction (other writers wait or fail). */
export class SqliteTableWriter extends SqliteSchema implements TableWriter {
  static async open(db: Database): Promise<SqliteTableWriter> {
    db.exec('BEGIN IMMEDIATE');
    return new SqliteTableWriter(db);
  }

  async count(table: string): Promise<number> {
    return (this.db.prepare(`SELECT COUNT(*) AS n FROM ${quoteName(table)}`).get() as { n: number }).n;
  }

  async empty(tables: readonly string[]): Promise<void> {
    for (const table of tables) this.db.prepare(`DELETE FROM ${quoteName(table)}`).run();
  }

  async insert(table: string, columns: readonly string[], rows: readonly CopiedRow[]): Promise<void> {
    const statement = this.db.prepare(`INSERT INTO ${quoteName(table)} (${columns.map(quoteName).join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`);
    for (const row of rows) statement.run(columns.map((c) => sqliteValue(row[c] ?? null)));
  }

  /** AUTOINCREMENT keeps `sqlite_sequence` at the highest id inserted: new rows get ids above the copied ones. */
  async commit(): Promise<void> {
    this.db.exec('COMMIT');
  }

  async rollback(): Promise<void> {
    if (this.db.inTransaction) this.db.exec('ROLLBACK');
  }
}

/** SQLite keeps flags as 0/1 (PostgreSQL's BOOLEAN reads as a boolean). */
function sqliteValue(value: CopiedValue): Exclude<CopiedValue, boolean> {
  return typeof value === 'boolean' ? Number(value) : value;
}
