import type { Database, Statement } from 'better-sqlite3';
import type { SessionRepository, StoredSession } from '../storage.js';

interface Row {
  id_hash: string;
  username: string;
  data: string;
  created_at: number;
  expires_at: number;
}

/** Sessions in the `sessions` table. Statements are prepared once. */
export class SqliteSessionRepository implements SessionRepository {
  readonly #get: Statement<[string], Row>;
  readonly #put: Statement<[string, string, string, number, number]>;
  readonly #delete: Statement<[string]>;
  readonly #deleteByUser: Statement<[string]>;
  readonly #deleteExpired: Statement<[number]>;

  constructor(db: Database) {
    this.#get = db.prepare('SELECT id_hash, username, data, created_at, expires_at FROM sessions WHERE id_hash = ?');
    this.#put = db.prepare('INSERT OR REPLACE INTO sessions (id_hash, username, data, created_at, expires_at) VALUES (?, ?, ?, ?, ?)');
    this.#delete = db.prepare('DELETE FROM sessions WHERE id_hash = ?');
    this.#deleteByUser = db.prepare("DELETE FROM sessions WHERE username = ? AND username <> ''");
    this.#deleteExpired = db.prepare('DELETE FROM sessions WHERE expires_at <= ?');
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

  async deleteByUsername(username: string): Promise<number> {
    return this.#deleteByUser.run(username).changes;
  }

  async deleteExpired(now: number): Promise<number> {
    return this.#deleteExpired.run(now).changes;
  }
}
