import { GatehouseError } from '../../shared/errors.js';

/**
 * What `storage copy` needs of a provider, table by table and generic over the tables: read a
 * consistent snapshot in batches on the source; write every row in one transaction on the target.
 * Values travel as the drivers give them (numbers, strings, Buffers, null; PostgreSQL's BOOLEAN as
 * a boolean): each writer turns them into its own column types.
 */

/** One column value as read from either provider. */
export type CopiedValue = string | number | boolean | Buffer | null;

/** One row: column name → value. */
export type CopiedRow = Record<string, CopiedValue>;

/** What both sides can say about their schema. */
export interface SchemaView {
  /** Every table of the store (the schema for PostgreSQL, the file for SQLite), sorted. */
  tables(): Promise<string[]>;
  /** The columns of `table`, in their order. */
  columns(table: string): Promise<string[]>;
  /** The highest migration recorded in `migrations`. */
  schemaVersion(): Promise<number>;
}

/** The source: one read-only snapshot, so the copy is consistent even while something else writes. */
export interface TableReader extends SchemaView {
  /** The rows of `table` (those `columns`), at most `batchSize` at a time, never all at once. */
  rows(table: string, columns: readonly string[], batchSize: number): AsyncIterable<CopiedRow[]>;
  /** Ends the snapshot. */
  close(): Promise<void>;
}

/** The target: one transaction, committed by `commit` or rolled back by `rollback` (all or nothing). */
export interface TableWriter extends SchemaView {
  /** How many rows `table` holds. */
  count(table: string): Promise<number>;
  /** Deletes every row of `tables`. */
  empty(tables: readonly string[]): Promise<void>;
  /** Inserts `rows` into `table` as they are (their ids included). */
  insert(table: string, columns: readonly string[], rows: readonly CopiedRow[]): Promise<void>;
  /** Commits; afterwards new rows get ids above the copied ones. */
  commit(): Promise<void>;
  rollback(): Promise<void>;
}

/** A table or column name as the schema spells it: safe to quote into SQL. */
export function quoteName(name: string): string {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new GatehouseError('GH_STORAGE_COPY', `unexpected table or column name '${name}'`);
  return `"${name}"`;
}
