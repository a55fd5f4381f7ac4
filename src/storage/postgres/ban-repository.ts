import type { Ban, NewBan } from '../auth-repositories.js';
import { type BanRow, type BanTable, TwoTableBans, banColumns, banInsert, banOf, banTables, banValues } from '../bans.js';
import { type Sql, changes, first } from './db.js';

/** The statements of one ban table. */
class PostgresBanTable implements BanTable {
  readonly #sql: Sql;
  readonly #insert: string;
  readonly #active: string;
  readonly #revoke: string;

  constructor(sql: Sql, { table, key }: { table: string; key: string }) {
    this.#sql = sql;
    this.#insert = banInsert(table, key, '$1, $2, $3, $4, $5');
    const active = `${key} = $1 AND NOT revoked AND (expires IS NULL OR expires > $2)`;
    this.#active = `SELECT ${banColumns} FROM ${table} WHERE ${active} ORDER BY expires DESC NULLS FIRST LIMIT 1`;
    this.#revoke = `UPDATE ${table} SET revoked = TRUE WHERE ${active}`;
  }

  async insert(value: string, ban: NewBan): Promise<void> {
    await this.#sql.query(this.#insert, banValues(value, ban));
  }

  async active(value: string, now: number): Promise<Ban | undefined> {
    const row = await first<BanRow>(this.#sql, this.#active, [value, now]);
    return row && banOf(row);
  }

  revoke(value: string, now: number): Promise<number> {
    return changes(this.#sql, this.#revoke, [value, now]);
  }
}

/** Bans in `banned_user` and `banned_ip`, on PostgreSQL. */
export class PostgresBanRepository extends TwoTableBans {
  constructor(sql: Sql) {
    super(new PostgresBanTable(sql, banTables.user), new PostgresBanTable(sql, banTables.ip));
  }
}
