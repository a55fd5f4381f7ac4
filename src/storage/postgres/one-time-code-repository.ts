import type { OneTimeCodeRepository, StoredOneTimeCode } from '../storage.js';
import { type Sql, changes, first, rows } from './db.js';

interface Row {
  id: number;
  username: string;
  intent: string;
  code_hash: Buffer;
  issued_at: number;
  expires_at: number;
  attempts: number;
}

/** A code neither consumed, revoked nor expired at `$n`. */
const active = (now: string) => `consumed_at IS NULL AND revoked_at IS NULL AND expires_at > ${now}`;

/** Hashed one-time codes in `one_time_code`. */
export class PostgresOneTimeCodeRepository implements OneTimeCodeRepository {
  readonly #sql: Sql;

  constructor(sql: Sql) {
    this.#sql = sql;
  }

  async insert(c: Omit<StoredOneTimeCode, 'id' | 'attempts'>): Promise<number> {
    const row = await first<{ id: number }>(
      this.#sql,
      'INSERT INTO one_time_code (username, intent, code_hash, issued_at, expires_at) VALUES ($1, $2, $3, $4, $5) RETURNING id',
      [c.username, c.intent, c.codeHash, c.issuedAt, c.expiresAt],
    );
    return row!.id;
  }

  async active(username: string, intent: string, now: number): Promise<StoredOneTimeCode[]> {
    const found = await rows<Row>(
      this.#sql,
      `SELECT id, username, intent, code_hash, issued_at, expires_at, attempts FROM one_time_code
       WHERE username = $1 AND intent = $2 AND ${active('$3')} ORDER BY issued_at DESC, id DESC`,
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

  async consume(id: number, now: number): Promise<boolean> {
    return (await changes(this.#sql, `UPDATE one_time_code SET consumed_at = $1 WHERE id = $2 AND ${active('$1')}`, [now, id])) === 1;
  }

  async recordFailure(id: number, maxAttempts: number, now: number): Promise<void> {
    await this.#sql.query(
      `UPDATE one_time_code SET attempts = attempts + 1,
       revoked_at = CASE WHEN attempts + 1 >= $1::integer THEN $2::bigint ELSE revoked_at END WHERE id = $3 AND revoked_at IS NULL`,
      [maxAttempts, now, id],
    );
  }

  revokeActive(username: string, intent: string, now: number): Promise<number> {
    return changes(this.#sql, `UPDATE one_time_code SET revoked_at = $1 WHERE username = $2 AND intent = $3 AND ${active('$1')}`, [now, username, intent]);
  }
}
