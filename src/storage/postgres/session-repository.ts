import type { DeletedSession, SessionRepository, StoredSession } from '../storage.js';
import { type Sql, changes, first, rows } from './db.js';

interface Row {
  id_hash: string;
  username: string;
  data: string;
  created_at: number;
  expires_at: number;
}

const columns = 'id_hash, username, data, created_at, expires_at';
/** Deleted rows come back with their user and OpenID Connect `sid` (single logout needs them). */
const deleted = "RETURNING id_hash, username, data::json ->> 'sid' AS sid";

const sessionOf = (row: Row): StoredSession => ({
  idHash: row.id_hash,
  username: row.username,
  data: row.data,
  createdAt: row.created_at,
  expiresAt: row.expires_at,
});

interface DeletedRow {
  id_hash: string;
  username: string;
  sid: string | null;
}

const deletedOf = (row: DeletedRow): DeletedSession => ({
  idHash: row.id_hash,
  username: row.username,
  sid: row.sid ?? undefined,
});

/** Sessions in the `sessions` table. */
export class PostgresSessionRepository implements SessionRepository {
  readonly #sql: Sql;

  constructor(sql: Sql) {
    this.#sql = sql;
  }

  async get(idHash: string): Promise<StoredSession | undefined> {
    const row = await first<Row>(this.#sql, `SELECT ${columns} FROM sessions WHERE id_hash = $1`, [idHash]);
    return row && sessionOf(row);
  }

  async put(s: StoredSession): Promise<void> {
    await this.#sql.query(
      `INSERT INTO sessions (${columns}) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (id_hash) DO UPDATE SET username = EXCLUDED.username, data = EXCLUDED.data, created_at = EXCLUDED.created_at, expires_at = EXCLUDED.expires_at`,
      [s.idHash, s.username, s.data, s.createdAt, s.expiresAt],
    );
  }

  async delete(idHash: string): Promise<void> {
    await changes(this.#sql, 'DELETE FROM sessions WHERE id_hash = $1', [idHash]);
  }

  async deleteByUsername(username: string): Promise<DeletedSession[]> {
    return (await rows<DeletedRow>(this.#sql, `DELETE FROM sessions WHERE username = $1 AND username <> '' ${deleted}`, [username])).map(deletedOf);
  }

  async deleteExpired(now: number): Promise<DeletedSession[]> {
    return (await rows<DeletedRow>(this.#sql, `DELETE FROM sessions WHERE expires_at <= $1 ${deleted}`, [now])).map(deletedOf);
  }

  async listByUsername(username: string): Promise<StoredSession[]> {
    return (await rows<Row>(this.#sql, `SELECT ${columns} FROM sessions WHERE username = $1 ORDER BY created_at`, [username])).map(sessionOf);
  }
}
