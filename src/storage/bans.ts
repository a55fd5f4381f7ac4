/**
 * Bans as every SQL provider stores them: one table per kind (`banned_user` keyed by username,
 * `banned_ip` by IP), the same columns. A provider writes the statements of one table
 * ({@link BanTable}, in its dialect); {@link TwoTableBans} is the repository over the two.
 */
import type { Ban, BanRepository, NewBan } from './auth-repositories.js';

/** A ban table's name and its key column. */
export const banTables = {
  user: { table: 'banned_user', key: 'username' },
  ip: { table: 'banned_ip', key: 'ip' },
} as const;

export interface BanRow {
  id: number;
  time: number;
  expires: number | null;
  /** A BOOLEAN as the engine returns it: true/false (PostgreSQL) or 1/0 (SQLite, MySQL). */
  revoked: boolean | number;
  source: string;
  reason: string | null;
}

/** The columns an active-ban query selects, as {@link banOf} reads them. */
export const banColumns = 'id, time, expires, revoked, source, reason';

/** The INSERT of a ban, with its values in order: `time, expires, <key>, source, reason`. */
export const banInsert = (table: string, key: string, marks: string): string =>
  `INSERT INTO ${table} (time, expires, ${key}, source, reason) VALUES (${marks})`;

export const banValues = (value: string, ban: NewBan): unknown[] => [ban.time, ban.expires ?? null, value, ban.source, ban.reason];

export function banOf(row: BanRow): Ban {
  return {
    id: Number(row.id),
    time: Number(row.time),
    expires: row.expires === null ? undefined : Number(row.expires),
    revoked: Boolean(Number(row.revoked)),
    source: row.source,
    reason: row.reason ?? '',
  };
}

/** The statements of one ban table, in a provider's dialect. */
export interface BanTable {
  insert(value: string, ban: NewBan): Promise<void> | void;
  /** The active (not revoked, not expired at `now`) ban of `value` that ends last. */
  active(value: string, now: number): Promise<Ban | undefined> | Ban | undefined;
  /** Revokes every active ban of `value`; how many. */
  revoke(value: string, now: number): Promise<number> | number;
}

/** Bans in `banned_user` and `banned_ip`. */
export class TwoTableBans implements BanRepository {
  readonly #users: BanTable;
  readonly #ips: BanTable;

  constructor(users: BanTable, ips: BanTable) {
    this.#users = users;
    this.#ips = ips;
  }

  async banUser(username: string, ban: NewBan): Promise<void> {
    await this.#users.insert(username, ban);
  }

  async banIp(ip: string, ban: NewBan): Promise<void> {
    await this.#ips.insert(ip, ban);
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
