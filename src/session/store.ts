import type { DeletedSession, SessionRepository } from '../storage/storage.js';
import type { SessionState } from './session.js';

/**
 * Where sessions live. SQLite (through the storage provider) by default; Redis later.
 * Keys are session-ID hashes, never IDs.
 */
export interface SessionStore {
  get(idHash: string): Promise<SessionState | undefined>;
  /** Saves `state`; the store may drop it after `expiresAt`. */
  set(idHash: string, state: SessionState, expiresAt: number): Promise<void>;
  delete(idHash: string): Promise<void>;
  /** Ends every session of a user (logout everywhere); returns them. */
  deleteUser(username: string): Promise<DeletedSession[]>;
  /** Drops sessions past their expiry; returns them. */
  purgeExpired(now: number): Promise<DeletedSession[]>;
  /** A user's sessions, their hashes and states (for `gatehouse sessions list`). */
  listUser(username: string): Promise<{ readonly idHash: string; readonly state: SessionState; readonly expiresAt: number }[]>;
}

/** A SessionStore over the storage provider's `sessions` table. */
export class StorageSessionStore implements SessionStore {
  constructor(private readonly repository: SessionRepository) {}

  async get(idHash: string): Promise<SessionState | undefined> {
    const row = await this.repository.get(idHash);
    if (!row) return undefined;
    try {
      return JSON.parse(row.data) as SessionState;
    } catch {
      await this.repository.delete(idHash);
      return undefined;
    }
  }

  async set(idHash: string, state: SessionState, expiresAt: number): Promise<void> {
    await this.repository.put({
      idHash,
      username: state.username,
      data: JSON.stringify(state),
      createdAt: state.createdAt,
      expiresAt,
    });
  }

  delete(idHash: string): Promise<void> {
    return this.repository.delete(idHash);
  }

  deleteUser(username: string): Promise<DeletedSession[]> {
    return this.repository.deleteByUsername(username);
  }

  purgeExpired(now: number): Promise<DeletedSession[]> {
    return this.repository.deleteExpired(now);
  }

  async listUser(username: string): Promise<{ idHash: string; state: SessionState; expiresAt: number }[]> {
    const rows = await this.repository.listByUsername(username);
    return rows.flatMap((row) => {
      try {
        return [{ idHash: row.idHash, state: JSON.parse(row.data) as SessionState, expiresAt: row.expiresAt }];
      } catch {
        return [];
      }
    });
  }
}
