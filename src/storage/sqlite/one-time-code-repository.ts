import type { Database, Statement } from 'better-sqlite3';
import type { OneTimeCodeRepository, StoredOneTimeCode } from '../storage.js';

interface Row {
  id: number;
  username: string;
  intent: string;
  code_hash: Buffer;
  issued_at: number;
  expires_at: number;
  attempts: number;
}

const activeWhere = 'consumed_at IS NULL AND revoked_at IS NULL AND expires_at > ?';

/** Hashed one-time codes in `one_time_code`. */
export class SqliteOneTimeCodeRepository implements OneTimeCodeRepository {
  readonly #insert: Statement<[string, string, Buffer, number, number]>;
  readonly #active: Statement<[string, string, number], Row>;
  readonly #consume: Statement<[number, number, number]>;
  readonly #fail: Statement<[number, number, number]>;
  readonly #revoke: Statement<[number, string, string, number]>;

  constructor(db: Database) {
    this.#insert = db.prepare('INSERT INTO one_time_code (username, intent, code_hash, issued_at, expires_at) VALUES (?, ?, ?, ?, ?)');
    this.#active = db.prepare(
      `SELECT id, username, intent, code_hash, issued_at, expires_at, attempts FROM one_time_code
       WHERE username = ? AND intent = ? AND ${activeWhere} ORDER BY issued_at DESC, id DESC`,
    );
    this.#consume = db.prepare(`UPDATE one_time_code SET consumed_at = ? WHERE id = ? AND ${activeWhere}`);
    this.#fail = db.prepare(
      `UPDATE one_time_code SET attempts = attempts + 1,
       revoked_at = CASE WHEN attempts + 1 >= ? THEN ? ELSE revoked_at END WHERE id = ? AND revoked_at IS NULL`,
    );
    this.#revoke = db.prepare(`UPDATE one_time_code SET revoked_at = ? WHERE username = ? AND intent = ? AND ${activeWhere}`);
  }

  async insert(c: Omit<StoredOneTimeCode, 'id' | 'attempts'>): Promise<number> {
    return Number(this.#insert.run(c.username, c.intent, c.codeHash, c.issuedAt, c.expiresAt).lastInsertRowid);
  }

  async active(username: string, intent: string, now: number): Promise<StoredOneTimeCode[]> {
    return this.#active.all(username, intent, now).map((row) => ({
      id: row.id,
      username: row.username,
      intent: row.intent,
      codeHash: row.code_hash,
      issuedAt: row.issued_at,
      expiresAt: row.expires_at,
      attempts: row.attempts,
    }));
  }

  async consume(id: number, now: number): Promise<boolean> {
    return this.#consume.run(now, id, now).changes === 1;
  }

  async recordFailure(id: number, maxAttempts: number, now: number): Promise<void> {
    this.#fail.run(maxAttempts, now, id);
  }

  async revokeActive(username: string, intent: string, now: number): Promise<number> {
    return this.#revoke.run(now, username, intent, now).changes;
  }
}
