import type { Ban, BanRepository, NewBan } from '../storage.js';
import { type Sql, changes, first } from './db.js';

interface Row {
  id: number;
  time: number;
  expires: number | null;
  revoked: boolean;
  source: string;
  reason: string | null;
}

/** The statements of one ban table (`banned_user` keyed by username, `banned_ip` by ip). */
class BanTable {
  readonly #sql: Sql;
  readonly #insert: string;
  readonly #active: string;
  readonly #revoke: string;

  constructor(sql: Sql, table: 'banned_user' | 'banned_ip', key: 'username' | 'ip') {
    this.#sql = sql;
    this.#insert = `INSERT INTO ${table} (time, expires, ${key}, source, reason) VALUES ($1, $2, $3, $4, $5)`;
    const active = `${key} = $1 AND NOT revoked AND (expires IS NULL OR expires > $2)`;
    this.#active = `SELECT id, time, expires, revoked, source, reason FROM ${table} WHERE ${active} ORDER BY expires DESC NULLS FIRST LIMIT 1`;
    this.#revoke = `UPDATE ${table} SET revoked = TRUE WHERE ${active}`;
  }

  async insert(value: string, ban: NewBan): Promise<void> {
    await this.#sql.query(this.#insert, [ban.time, ban.expires ?? null, value, ban.source, ban.reason]);
  }

  async active(value: string, now: number): Promise<Ban | undefined> {
    const row = await first<Row>(this.#sql, this.#active, [value, now]);
    return row && { id: row.id, time: row.time, expires: row.expires ?? undefined, revoked: row.revoked, source: row.source, reason: row.reason ?? '' };
  }

  revoke(value: string, now: number): Promise<number> {
    return changes(this.#sql, this.#revoke, [value, now]);
  }
}

/** Bans in `banned_user` and `banned_ip`. */
export class PostgresBanRepository implements BanRepository {
  readonly #users: BanTable;
  readonly #ips: BanTable;

  constructor(sql: Sql) {
    this.#users = new BanTable(sql, 'banned_user', 'username');
    this.#ips = new BanTable(sql, 'banned_ip', 'ip');
  }

  banUser(username: string, ban: NewBan): Promise<void> {
    return this.#users.insert(username, ban);
  }

  banIp(ip: string, ban: NewBan): Promise<void> {
    return this.#ips.insert(ip, ban);
  }

  activeUserBan(username: string, now: number): Promise<Ban | undefined> {
    return this.#users.active(username, now);
  }

  activeIpBan(ip: string, now: number): Promise<Ban | undefined> {
    return this.#ips.active(ip, now);
  }

  revokeUser(username: string, now: number): Promise<number> {
    return this.#users.revoke(username, now);
  }

  revokeIp(ip: string, now: number): Promise<number> {
    return this.#ips.revoke(ip, now);
  }
}
