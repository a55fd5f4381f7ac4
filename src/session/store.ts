import type { DeletedSession, SessionRepository } from '../storage/storage.js';
import { type SessionState, parseSessionState } from './session.js';

/**
 * Where sessions live: SQLite (through the storage provider) by default, Redis (redis-store.ts)
 * when instances share sessions. Keys are session-ID hashes, never IDs. test/session/contract.test.ts
 * holds every implementation to this contract. A store that cannot answer throws
 * (SessionStoreUnavailableError): it never reports a session it could not read as absent.
 */
export interface SessionStore {
  /** The saved state; a session past its `expiresAt` may still be returned until purged (the manager checks). */
  get(idHash: string): Promise<SessionState | undefined>;
  /** Saves `state`; the store may drop it after `expiresAt`. */
  set(idHash: string, state: SessionState, expiresAt: number): Promise<void>;
  delete(idHash: string): Promise<void>;
  /** Ends every session of a user (logout everywhere); returns them, each once. */
  deleteUser(username: string): Promise<DeletedSession[]>;
  /**
   * Drops sessions whose `expiresAt` is at or before `now`; returns the signed-in ones (anonymous
   * ones may be returned too) with their `sid`. Each session is returned once, even with several
   * processes purging one shared store at the same time.
   */
  purgeExpired(now: number): Promise<DeletedSession[]>;
  /**
   * The state held in memory for `idHash`, when the store keeps one that may be served now
   * (session/cached-store.ts); undefined otherwise (then ask `get`). Frozen: shared by every reader.
   */
  peek?(idHash: string): Readonly<SessionState> | undefined;
  /** A user's sessions, their hashes and states (for `gatehouse sessions list`). */
  listUser(username: string): Promise<{ readonly idHash: string; readonly state: SessionState; readonly expiresAt: number }[]>;
}

/** A SessionStore over the storage provider's `sessions` table. */
export class StorageSessionStore implements SessionStore {
  constructor(private readonly repository: SessionRepository) {}

  async get(idHash: string): Promise<SessionState | undefined> {
    const row = await this.repository.get(idHash);
    if (!row) return undefined;
    const state = parseSessionState(row.data);
    // A row that is not a session (not JSON, or not a session's shape) is no session: dropped.
    if (state === undefined) await this.repository.delete(idHash);
    return state;
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
      const state = parseSessionState(row.data);
      return state === undefined ? [] : [{ idHash: row.idHash, state, expiresAt: row.expiresAt }];
    });
  }
}
