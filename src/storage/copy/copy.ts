import { GatehouseError } from '../../shared/errors.js';
import type { Storage } from '../storage.js';
import { openTableReader, openTableWriter } from './providers.js';
import type { TableReader, TableWriter } from './table-io.js';
import { type EncryptedValue, bookkeepingTables, copiedTables, encryptedValues } from './tables.js';

export interface CopyOptions {
  /** Empty a target that holds rows, instead of refusing it. */
  readonly force: boolean;
  /** Rows read and written at a time (default 1000): memory stays bounded whatever the table sizes. */
  readonly batchSize?: number;
}

export interface CopyReport {
  /** The schema version of both stores. */
  readonly schemaVersion: number;
  /** Rows copied, per data table, in copy order (every table, 0 included). */
  readonly tables: readonly { readonly table: string; readonly rows: number }[];
  /** The target's rows deleted first (`force`), per table that had any. */
  readonly emptied: readonly { readonly table: string; readonly rows: number }[];
  /** Encrypted values decrypted with the source's key and encrypted with the target's, by kind. */
  readonly reencrypted: readonly { readonly what: string; readonly values: number }[];
  /** Tables of the source that are not Gatehouse's (another application's, in a shared schema): left alone. */
  readonly ignored: readonly string[];
}

/** The target holds rows and `force` was not given; `tables` says which, with how many. */
export class TargetNotEmptyError extends GatehouseError {
  readonly tables: readonly { readonly table: string; readonly rows: number }[];

  constructor(tables: readonly { table: string; rows: number }[]) {
    super('GH_STORAGE_COPY_TARGET_NOT_EMPTY', `the target is not empty: it holds ${tables.map((t) => `${plural(t.rows, 'row')} in ${t.table}`).join(', ')}`);
    this.tables = tables;
  }
}

/**
 * Copies every data table ({@link copiedTables}) from `source` to `target`, both opened (so
 * migrated, with their keys checked): the source is read as one snapshot in batches; the target
 * is written in one transaction, committed only when every row is in (all or nothing). Encrypted
 * values ({@link encryptedValues}) are decrypted with the source's cipher and encrypted with the
 * target's. Ids are kept. Both stores' `migrations` and `encryption` are their own.
 * @throws TargetNotEmptyError when the target holds a row and `force` is not set.
 * @throws GatehouseError `GH_STORAGE_COPY` when the schemas differ, a value does not decrypt, or
 * a driver fails (the message says while doing what); the target is then unchanged.
 */
export async function copyStorage(source: Storage, target: Storage, options: CopyOptions): Promise<CopyReport> {
  const step: Step = { doing: 'starting to read the source' };
  try {
    const reader = await openTableReader(source);
    try {
      step.doing = 'starting the transaction on the target';
      const writer = await openTableWriter(target, copiedTables);
      try {
        const report = await copyTables(reader, writer, step, { from: source, to: target, ...options });
        step.doing = 'committing the target';
        await writer.commit();
        return report;
      } catch (error) {
        await writer.rollback();
        throw error;
      }
    } finally {
      await reader.close();
    }
  } catch (error) {
    if (error instanceof GatehouseError) throw error;
    throw new GatehouseError('GH_STORAGE_COPY', `failed while ${step.doing}: ${(error as Error)?.message ?? String(error)}`, { cause: error });
  }
}

/** What the copy is doing, for the message when a driver fails. */
interface Step {
  doing: string;
}

async function copyTables(
  reader: TableReader,
  writer: TableWriter,
  step: Step,
  options: CopyOptions & { from: Pick<Storage, 'cipher'>; to: Pick<Storage, 'cipher'> },
): Promise<CopyReport> {
  step.doing = 'comparing the schemas';
  const { schemaVersion, columns, ignored } = await compareSchemas(reader, writer);
  step.doing = 'counting the rows of the target';
  const held = [];
  for (const table of copiedTables) {
    const rows = await writer.count(table);
    if (rows > 0) held.push({ table, rows });
  }
  if (held.length > 0 && !options.force) throw new TargetNotEmptyError(held);
  step.doing = 'emptying the target';
  if (held.length > 0) await writer.empty(copiedTables);

  const batchSize = options.batchSize ?? 1000;
  const tables = [];
  const recoded = new Map<string, number>(encryptedValues.map((v) => [v.what, 0]));
  for (const table of copiedTables) {
    const names = columns.get(table)!;
    const encrypted = encryptedValues.filter((v) => v.table === table);
    let rows = 0;
    step.doing = `reading ${table} from the source`;
    for await (const batch of reader.rows(table, names, batchSize)) {
      for (const row of batch) {
        for (const value of encrypted) {
          const next = recode(value, row, options.from.cipher, options.to.cipher);
          if (next === undefined) continue;
          row[value.column] = next;
          recoded.set(value.what, recoded.get(value.what)! + 1);
        }
      }
      step.doing = `writing ${table} to the target`;
      await writer.insert(table, names, batch);
      step.doing = `reading ${table} from the source`;
      rows += batch.length;
    }
    tables.push({ table, rows });
  }
  const reencrypted = [...recoded].map(([what, values]) => ({ what, values }));
  return { schemaVersion, tables, emptied: held, reencrypted, ignored };
}

function recode(value: EncryptedValue, row: Parameters<EncryptedValue['recode']>[0], from: Storage['cipher'], to: Storage['cipher']) {
  try {
    return value.recode(row, from, to);
  } catch (cause) {
    throw new GatehouseError(
      'GH_STORAGE_COPY',
      `the source's ${value.table}.${value.column} (${value.context(row)}) cannot be decrypted with the source's storage.encryption_key: ${(cause as Error)?.message ?? String(cause)}`,
      { cause },
    );
  }
}

/**
 * Both stores at one schema version, each with every copied table and the same columns.
 * @returns the version, the columns of each copied table (the target's order), and the source's other tables.
 */
async function compareSchemas(reader: TableReader, writer: TableWriter) {
  const [from, to] = [await reader.schemaVersion(), await writer.schemaVersion()];
  if (from !== to) {
    throw new GatehouseError('GH_STORAGE_COPY', `the source is at schema version ${from} and the target at ${to}; both must be at the same version`);
  }
  const sides = [
    { name: 'source', view: reader, tables: new Set(await reader.tables()) },
    { name: 'target', view: writer, tables: new Set(await writer.tables()) },
  ];
  for (const side of sides) {
    const missing = copiedTables.filter((t) => !side.tables.has(t));
    if (missing.length > 0) throw new GatehouseError('GH_STORAGE_COPY', `the ${side.name} has no table ${missing.join(', ')} (schema version ${from})`);
  }
  const columns = new Map<string, string[]>();
  for (const table of copiedTables) {
    const [a, b] = [await reader.columns(table), await writer.columns(table)];
    const onlyA = a.filter((c) => !b.includes(c));
    const onlyB = b.filter((c) => !a.includes(c));
    if (onlyA.length > 0 || onlyB.length > 0) {
      const differences = [...onlyA.map((c) => `${c} only in the source`), ...onlyB.map((c) => `${c} only in the target`)];
      throw new GatehouseError('GH_STORAGE_COPY', `the columns of ${table} differ: ${differences.join(', ')}`);
    }
    columns.set(table, b);
  }
  const known = new Set<string>([...copiedTables, ...bookkeepingTables]);
  const ignored = [...sides[0]!.tables].filter((t) => !known.has(t));
  return { schemaVersion: from, columns, ignored };
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
