/** Sessions, authentication attempts, bans, TOTP and one-time codes, on MySQL/MariaDB. */
import { marks, totpSecretContext } from '../rows.js';
import type {
  AuthenticationAttempt,
  AuthenticationLogRepository,
  Ban,
  ColumnCipher,
  DeletedSession,
  NewBan,
  OneTimeCodeRepository,
  SessionRepository,
  StoredOneTimeCode,
  StoredSession,
  TotpConfiguration,
  TotpRepository,
} from '../storage.js';
import { type BanRow, type BanTable, TwoTableBans, banColumns, banInsert, banOf, banTables, banValues } from '../bans.js';
import { type Db, type Sql, changes, first, flag, insertOnce, rows, run, transaction } from './db.js';

interface SessionRow {
  id_hash: string;
  username: string;
  data: string;
  created_at: number;
  expires_at: number;
}

const sessionColumns = 'id_hash, username, data, created_at, expires_at';

const sessionOf = (row: SessionRow): StoredSession => ({
  idHash: row.id_hash,
  username: row.username,
  data: row.data,
  createdAt: row.created_at,
  expiresAt: row.expires_at,
});

/** The OpenID Connect `sid` a session's state holds, if any (single logout needs it). */
function sidOf(data: string): string | undefined {
  try {
    const sid = (JSON.parse(data) as { sid?: unknown } | null)?.sid;
    return typeof sid === 'string' ? sid : undefined;
  } catch {
    return undefined;
  }
}

/** Sessions in the `sessions` table. */
export class MysqlSessionRepository implements SessionRepository {
  constructor(private readonly db: Db) {}

  async get(idHash: string): Promise<StoredSession | undefined> {
    const row = await first<SessionRow>(this.db, `SELECT ${sessionColumns} FROM sessions WHERE id_hash = ?`, [idHash]);
    return row && sessionOf(row);
  }

  async put(s: StoredSession): Promise<void> {
    await run(
      this.db,
      `INSERT INTO sessions (${sessionColumns}) VALUES (?, ?, ?, ?, ?)
       ON DUPLICATE KEY UPDATE username = VALUES(username), data = VALUES(data), created_at = VALUES(created_at), expires_at = VALUES(expires_at)`,
      [s.idHash, s.username, s.data, s.createdAt, s.expiresAt],
    );
  }

  async delete(idHash: string): Promise<void> {
    await run(this.db, 'DELETE FROM sessions WHERE id_hash = ?', [idHash]);
  }

  deleteByUsername(username: string): Promise<DeletedSession[]> {
    return this.#deleteWhere("username = ? AND username <> ''", [username]);
  }

  deleteExpired(now: number): Promise<DeletedSession[]> {
    return this.#deleteWhere('expires_at <= ?', [now]);
  }

  async listByUsername(username: string): Promise<StoredSession[]> {
    return (await rows<SessionRow>(this.db, `SELECT ${sessionColumns} FROM sessions WHERE username = ? ORDER BY created_at`, [username])).map(sessionOf);
  }

  /**
   * Deletes the rows `where` finds and returns exactly those (MySQL has no DELETE … RETURNING):
   * in one transaction, the rows are read locked, then deleted by their keys.
   */
  #deleteWhere(where: string, values: unknown[]): Promise<DeletedSession[]> {
    return transaction(this.db, async (sql) => {
      const found = await rows<SessionRow>(sql, `SELECT id_hash, username, data FROM sessions WHERE ${where} FOR UPDATE`, values);
      for (let start = 0; start < found.length; start += 500) {
        await run(sql, 'DELETE FROM sessions WHERE id_hash IN (?)', [found.slice(start, start + 500).map((r) => r.id_hash)]);
      }
      return found.map((r) => ({ idHash: r.id_hash, username: r.username, sid: sidOf(r.data) }));
    });
  }
}

interface AttemptRow {
  time: number;
  successful: number;
  banned: number;
  username: string;
  auth_type: string;
  remote_ip: string;
  request_uri: string;
  request_method: string;
}

const attemptColumns = 'time, successful, banned, username, auth_type, remote_ip, request_uri, request_method';

/** Authentication attempts in `authentication_logs`. */
export class MysqlAuthLogRepository implements AuthenticationLogRepository {
  constructor(private readonly db: Db) {}

  async append(a: AuthenticationAttempt): Promise<void> {
    await run(this.db, `INSERT INTO authentication_logs (${attemptColumns}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, [
      a.time,
      a.successful,
      a.banned,
      a.username,
      a.authType,
      a.remoteIp,
      a.requestUri,
      a.requestMethod,
    ]);
  }

  recentByUser(username: string, authType: string, since: number, limit: number): Promise<AuthenticationAttempt[]> {
    return this.#recent('username', username, authType, since, limit);
  }

  recentByIp(remoteIp: string, authType: string, since: number, limit: number): Promise<AuthenticationAttempt[]> {
    return this.#recent('remote_ip', remoteIp, authType, since, limit);
  }

  async #recent(column: 'username' | 'remote_ip', value: string, authType: string, since: number, limit: number): Promise<AuthenticationAttempt[]> {
    const found = await rows<AttemptRow>(
      this.db,
      `SELECT ${attemptColumns} FROM authentication_logs
       WHERE ${column} = ? AND auth_type = ? AND time > ? AND NOT banned ORDER BY time DESC, id DESC LIMIT ?`,
      [value, authType, since, limit],
    );
    return found.map((row) => ({
      time: row.time,
      successful: flag(row.successful),
      banned: flag(row.banned),
      username: row.username,
      authType: row.auth_type,
      remoteIp: row.remote_ip,
      requestUri: row.request_uri,
      requestMethod: row.request_method,
    }));
  }
}

/** The statements of one ban table. */
class MysqlBanTable implements BanTable {
  readonly #db: Db;
  readonly #insert: string;
  readonly #active: string;
  readonly #revoke: string;

  constructor(db: Db, { table, key }: { table: string; key: string }) {
    this.#db = db;
    this.#insert = banInsert(table, key, marks(5));
    const active = `${key} = ? AND NOT revoked AND (expires IS NULL OR expires > ?)`;
    // NULL (never expires) first, as PostgreSQL's NULLS FIRST.
    this.#active = `SELECT ${banColumns} FROM ${table} WHERE ${active} ORDER BY expires IS NULL DESC, expires DESC LIMIT 1`;
    this.#revoke = `UPDATE ${table} SET revoked = TRUE WHERE ${active}`;
  }

  async insert(value: string, ban: NewBan): Promise<void> {
    await run(this.#db, this.#insert, banValues(value, ban));
  }

  async active(value: string, now: number): Promise<Ban | undefined> {
    const row = await first<BanRow>(this.#db, this.#active, [value, now]);
    return row && banOf(row);
  }

  revoke(value: string, now: number): Promise<number> {
    return changes(this.#db, this.#revoke, [value, now]);
  }
}

/** Bans in `banned_user` and `banned_ip`, on MySQL/MariaDB. */
export class MysqlBanRepository extends TwoTableBans {
  constructor(db: Db) {
    super(new MysqlBanTable(db, banTables.user), new MysqlBanTable(db, banTables.ip));
  }
}

interface TotpRow {
  username: string;
  issuer: string;
  algorithm: TotpConfiguration['algorithm'];
  digits: number;
  period: number;
  secret: Buffer;
  created_at: number;
  last_used_at: number | null;
}

/** TOTP keys in `totp_configurations` (secret encrypted) and used steps in `totp_history`. */
export class MysqlTotpRepository implements TotpRepository {
  constructor(
    private readonly db: Db,
    private readonly cipher: ColumnCipher,
  ) {}

  async get(username: string): Promise<TotpConfiguration | undefined> {
    const row = await first<TotpRow>(
      this.db,
      'SELECT username, issuer, algorithm, digits, period, secret, created_at, last_used_at FROM totp_configurations WHERE username = ?',
      [username],
    );
    if (!row) return undefined;
    return {
      username: row.username,
      issuer: row.issuer,
      algorithm: row.algorithm,
      digits: row.digits,
      period: row.period,
      secret: this.cipher.decrypt(row.secret, totpSecretContext(row.username)),
      createdAt: row.created_at,
      lastUsedAt: row.last_used_at ?? undefined,
    };
  }

  async save(c: TotpConfiguration): Promise<void> {
    const secret = this.cipher.encrypt(c.secret, totpSecretContext(c.username));
    await run(
      this.db,
      `INSERT INTO totp_configurations (created_at, last_used_at, username, issuer, algorithm, digits, period, secret) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON DUPLICATE KEY UPDATE created_at = VALUES(created_at), last_used_at = VALUES(last_used_at), issuer = VALUES(issuer),
         algorithm = VALUES(algorithm), digits = VALUES(digits), period = VALUES(period), secret = VALUES(secret)`,
      [c.createdAt, c.lastUsedAt ?? null, c.username, c.issuer, c.algorithm, c.digits, c.period, secret],
    );
  }

  async delete(username: string): Promise<boolean> {
    return (await changes(this.db, 'DELETE FROM totp_configurations WHERE username = ?', [username])) > 0;
  }

  async markUsed(username: string, time: number): Promise<void> {
    await run(this.db, 'UPDATE totp_configurations SET last_used_at = ? WHERE username = ?', [time, username]);
  }

  /** The unique key (username, step) makes a step usable once across every instance. */
  recordStep(username: string, step: number, time: number): Promise<boolean> {
    return insertOnce(this.db, 'INSERT INTO totp_history (username, step, created_at) VALUES (?, ?, ?)', [username, step, time]);
  }

  purgeHistory(before: number): Promise<number> {
    return changes(this.db, 'DELETE FROM totp_history WHERE created_at < ?', [before]);
  }
}

interface CodeRow {
  id: number;
  username: string;
  intent: string;
  code_hash: Buffer;
  issued_at: number;
  expires_at: number;
  attempts: number;
}

/** A code neither consumed, revoked nor expired at the `?` it is given. */
const activeCode = 'consumed_at IS NULL AND revoked_at IS NULL AND expires_at > ?';

/** Hashed one-time codes in `one_time_code`. */
export class MysqlOneTimeCodeRepository implements OneTimeCodeRepository {
  constructor(private readonly db: Sql) {}

  async insert(c: Omit<StoredOneTimeCode, 'id' | 'attempts'>): Promise<number> {
    const header = await run(this.db, 'INSERT INTO one_time_code (username, intent, code_hash, issued_at, expires_at) VALUES (?, ?, ?, ?, ?)', [
      c.username,
      c.intent,
      c.codeHash,
      c.issuedAt,
      c.expiresAt,
    ]);
    return header.insertId;
  }

  async active(username: string, intent: string, now: number): Promise<StoredOneTimeCode[]> {
    const found = await rows<CodeRow>(
      this.db,
      `SELECT id, username, intent, code_hash, issued_at, expires_at, attempts FROM one_time_code
       WHERE username = ? AND intent = ? AND ${activeCode} ORDER BY issued_at DESC, id DESC`,
      [username, intent, now],
    );
    return found.map((row) => ({
      id: row.id,
      username: row.username,
      intent: row.intent,
      codeHash: row.code_hash,
      issuedAt: row.issued_at,
      expiresAt: row.expires_at,
      attempts: row.attempts,
    }));
  }

  /** A conditional UPDATE: the row's lock makes a second consumer wait, then find it consumed. */
  async consume(id: number, now: number): Promise<boolean> {
    return (await changes(this.db, `UPDATE one_time_code SET consumed_at = ? WHERE id = ? AND ${activeCode}`, [now, id, now])) === 1;
  }

  async recordFailure(id: number, maxAttempts: number, now: number): Promise<void> {
    // MySQL assigns left to right with the new values: revoked_at is decided on the count before this failure.
    await run(
      this.db,
      'UPDATE one_time_code SET revoked_at = CASE WHEN attempts + 1 >= ? THEN ? ELSE revoked_at END, attempts = attempts + 1 WHERE id = ? AND revoked_at IS NULL',
      [maxAttempts, now, id],
    );
  }

  revokeActive(username: string, intent: string, now: number): Promise<number> {
    return changes(this.db, `UPDATE one_time_code SET revoked_at = ? WHERE username = ? AND intent = ? AND ${activeCode}`, [now, username, intent, now]);
  }
}
