import type { Database, Statement } from 'better-sqlite3';
import type { Ban, NewBan } from '../auth-repositories.js';
import { marks } from '../rows.js';
import { type BanRow, type BanTable, TwoTableBans, banColumns, banInsert, banOf, banTables, banValues } from '../bans.js';

/** The prepared statements of one ban table. */
class SqliteBanTable implements BanTable {
  readonly #insert: Statement<unknown[]>;
  readonly #active: Statement<[string, number], BanRow>;
  readonly #revoke: Statement<[string, number]>;

  constructor(db: Database, { table, key }: { table: string; key: string }) {
    this.#insert = db.prepare(banInsert(table, key, marks(5)));
    const active = `${key} = ? AND revoked = 0 AND (expires IS NULL OR expires > ?)`;
    this.#active = db.prepare(`SELECT ${banColumns} FROM ${table} WHERE ${active} ORDER BY expires IS NULL DESC, expires DESC LIMIT 1`);
    this.#revoke = db.prepare(`UPDATE ${table} SET revoked = 1 WHERE ${active}`);
  }

  insert(value: string, ban: NewBan): void {
    this.#insert.run(banValues(value, ban));
  }

  active(value: string, now: number): Ban | undefined {
    const row = this.#active.get(value, now);
    return row && banOf(row);
  }

  revoke(value: string, now: number): number {
    return this.#revoke.run(value, now).changes;
  }
}

/** Bans in `banned_user` and `banned_ip`, on SQLite. */
export class SqliteBanRepository extends TwoTableBans {
  constructor(db: Database) {
    super(new SqliteBanTable(db, banTables.user), new SqliteBanTable(db, banTables.ip));
  }
}
