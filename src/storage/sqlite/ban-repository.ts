import type { Database, Statement } from 'better-sqlite3';
import type { Ban, BanRepository, NewBan } from '../storage.js';

interface Row {
  id: number;
  time: number;
  expires: number | null;
  revoked: number;
  source: string;
  reason: string | null;
}

/** The statements for one ban table (`banned_user` keyed by username, `banned_ip` by ip). */
class BanTable {
  readonly #insert: Statement<[number, number | null, string, string, string]>;
  readonly #active: Statement<[string, number], Row>;
  readonly #revoke: Statement<[string, number]>;

  constructor(db: Database, table: 'banned_user' | 'banned_ip', key: 'username' | 'ip') {
    this.#insert = db.prepare(`INSERT INTO ${table} (time, expires, ${key}, source, reason) VALUES (?, ?, ?, ?, ?)`);
    const active = `${key} = ? AND revoked = 0 AND (expires IS NULL OR expires > ?)`;
    this.#active = db.prepare(
      `SELECT id, time, expires, revoked, source, reason FROM ${table} WHERE ${active}
       ORDER BY expires IS NULL DESC, expires DESC LIMIT 1`,
    );
    this.#revoke = db.prepare(`UPDATE ${table} SET revoked = 1 WHERE ${active}`);
  }

  insert(value: string, ban: NewBan): void {
    this.#insert.run(ban.time, ban.expires ?? null, value, ban.source, ban.reason);
  }

  active(value: string, now: number): Ban | undefined {
    const row = this.#active.get(value, now);
    return (
      row && {
        id: row.id,
        time: row.time,
        expires: row.expires ?? undefined,
        revoked: row.revoked === 1,
        source: row.source,
        reason: row.reason ?? '',
      }
    );
  }

  revoke(value: string, now: number): number {
    return this.#revoke.run(value, now).changes;
  }
}

/** Bans in `banned_user` and `banned_ip`. */
export class SqliteBanRepository implements BanRepository {
  readonly #users: BanTable;
  readonly #ips: BanTable;

  constructor(db: Database) {
    this.#users = new BanTable(db, 'banned_user', 'username');
    this.#ips = new BanTable(db, 'banned_ip', 'ip');
  }

  async banUser(username: string, ban: NewBan): Promise<void> {
    this.#users.insert(username, ban);
  }

  async banIp(ip: string, ban: NewBan): Promise<void> {
    this.#ips.insert(ip, ban);
  }

  async activeUserBan(username: string, now: number): Promise<Ban | undefined> {
    return this.#users.active(username, now);
  }

  async activeIpBan(ip: string, now: number): Promise<Ban | undefined> {
    return this.#ips.active(ip, now);
  }

  async revokeUser(username: string, now: number): Promise<number> {
    return this.#users.revoke(username, now);
  }

  async revokeIp(ip: string, now: number): Promise<number> {
    return this.#ips.revoke(ip, now);
  }
}
