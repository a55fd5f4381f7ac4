import type { Database, Statement } from 'better-sqlite3';
import type { DeletedSession, SessionRepository, StoredSession } from '../storage.js';

interface Row {
  id_hash: string;
  username: string;
  data: string;
  created_at: number;
  expires_at: number;
}

interface DeletedRow {
  id_hash: string;
  username: string;
  sid: string | null;
}

function deletedOf(row: DeletedRow): DeletedSession {
  return { idHash: row.id_hash, username: row.username, sid: row.sid ?? undefined };
}

/** Sessions in the `sessions` table. Statements are prepared once. */
export class SqliteSessionRepository implements SessionRepository {
  readonly #get: Statement<[string], Row>;
  readonly #put: Statement<[string, string, string, number, number]>;
  readonly #delete: Statement<[string]>;
  readonly #deleteByUser: Statement<[string], DeletedRow>;
  readonly #deleteExpired: Statement<[number], DeletedRow>;
  readonly #listByUser: Statement<[string], Row>;

  constructor(db: Database) {
    this.#get = db.prepare('SELECT id_hash, username, data, created_at, expires_at FROM sessions WHERE id_hash = ?');
    this.#put = db.prepare('INSERT OR REPLACE INTO sessions (id_hash, username, data, created_at, expires_at) VALUES (?, ?, ?, ?, ?)');
    this.#delete = db.prepare('DELETE FROM sessions WHERE id_hash = ?');
    const deleted = "RETURNING id_hash, username, json_extract(data, '$.sid') AS sid";
    this.#deleteByUser = db.prepare(`DELETE FROM sessions WHERE username = ? AND username <> '' ${deleted}`);
    this.#deleteExpired = db.prepare(`DELETE FROM sessions WHERE expires_at <= ? ${deleted}`);
    this.#listByUser = db.prepare('SELECT id_hash, username, data, created_at, expires_at FROM sessions WHERE username = ? ORDER BY created_at');
  }

  async get(idHash: string): Promise<StoredSession | undefined> {
    const row = this.#get.get(idHash);
    return row ? { idHash: row.id_hash, username: row.username, data: row.data, createdAt: row.created_at, expiresAt: row.expires_at } : undefined;
  }

  async put(s: StoredSession): Promise<void> {
    this.#put.run(s.idHash, s.username, s.data, s.createdAt, s.expiresAt);
  }

  async delete(idHash: string): Promise<void> {
    this.#delete.run(idHash);
  }

  async deleteByUsername(username: string): Promise<DeletedSession[]> {
    return this.#deleteByUser.all(username).map(deletedOf);
  }

  async deleteExpired(now: number): Promise<DeletedSession[]> {
    return this.#deleteExpired.all(now).map(deletedOf);
  }

  async listByUsername(username: string): Promise<StoredSession[]> {
    return this.#listByUser
      .all(username)
      .map((row) => ({ idHash: row.id_hash, username: row.username, data: row.data, createdAt: row.created_at, expiresAt: row.expires_at }));
  }
}
