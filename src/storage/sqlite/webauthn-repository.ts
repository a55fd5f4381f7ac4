import type { Database, Statement } from 'better-sqlite3';
import type { UserPreferencesRepository, WebAuthnCredential, WebAuthnRepository } from '../auth-repositories.js';
import { type WebAuthnRow, webauthnColumns, webauthnCredentialOf } from '../rows.js';

/** WebAuthn credentials (`webauthn_credentials`) and user handles (`webauthn_users`). */
export class SqliteWebAuthnRepository implements WebAuthnRepository {
  readonly #handle: Statement<[string, string], { user_handle: string }>;
  readonly #insertHandle: Statement<[string, string, string, number]>;
  readonly #owner: Statement<[string, string], { username: string }>;
  readonly #listAll: Statement<[string], WebAuthnRow>;
  readonly #listRp: Statement<[string, string], WebAuthnRow>;
  readonly #find: Statement<[string], WebAuthnRow>;
  readonly #add: Statement<unknown[]>;
  readonly #rename: Statement<[string, string, string]>;
  readonly #delete: Statement<[string, string]>;
  readonly #use: Statement<[number, number, number, string, number, number]>;

  constructor(db: Database) {
    this.#handle = db.prepare('SELECT user_handle FROM webauthn_users WHERE username = ? AND rp_id = ?');
    this.#insertHandle = db.prepare('INSERT OR IGNORE INTO webauthn_users (username, rp_id, user_handle, created_at) VALUES (?, ?, ?, ?)');
    this.#owner = db.prepare('SELECT username FROM webauthn_users WHERE rp_id = ? AND user_handle = ?');
    this.#listAll = db.prepare(`SELECT ${webauthnColumns} FROM webauthn_credentials WHERE username = ? ORDER BY id`);
    this.#listRp = db.prepare(`SELECT ${webauthnColumns} FROM webauthn_credentials WHERE username = ? AND rp_id = ? ORDER BY id`);
    this.#find = db.prepare(`SELECT ${webauthnColumns} FROM webauthn_credentials WHERE credential_id = ?`);
    this.#add = db.prepare(`INSERT OR IGNORE INTO webauthn_credentials (${webauthnColumns}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    this.#rename = db.prepare('UPDATE webauthn_credentials SET description = ? WHERE username = ? AND credential_id = ?');
    this.#delete = db.prepare('DELETE FROM webauthn_credentials WHERE username = ? AND credential_id = ?');
    // The counter must rise, unless the authenticator keeps none (0 stored, 0 presented).
    this.#use = db.prepare(
      `UPDATE webauthn_credentials SET sign_count = ?, backed_up = ?, last_used_at = ?
       WHERE credential_id = ? AND (sign_count < ? OR (sign_count = 0 AND ? = 0))`,
    );
  }

  async userHandle(username: string, rpId: string, fresh: () => string, time: number): Promise<string> {
    const known = this.#handle.get(username, rpId);
    if (known) return known.user_handle;
    this.#insertHandle.run(username, rpId, fresh(), time);
    return (this.#handle.get(username, rpId) as { user_handle: string }).user_handle;
  }

  async usernameOfHandle(rpId: string, userHandle: string): Promise<string | undefined> {
    return this.#owner.get(rpId, userHandle)?.username;
  }

  async list(username: string, rpId?: string): Promise<WebAuthnCredential[]> {
    return (rpId === undefined ? this.#listAll.all(username) : this.#listRp.all(username, rpId)).map(webauthnCredentialOf);
  }

  async find(credentialId: string): Promise<WebAuthnCredential | undefined> {
    const row = this.#find.get(credentialId);
    return row && webauthnCredentialOf(row);
  }

  async add(c: WebAuthnCredential): Promise<boolean> {
    const result = this.#add.run(
      c.username,
      c.rpId,
      c.credentialId,
      c.description,
      c.publicKey,
      c.signCount,
      c.transports.join(','),
      c.aaguid,
      c.discoverable ? 1 : 0,
      c.backupEligible ? 1 : 0,
      c.backedUp ? 1 : 0,
      c.createdAt,
      c.lastUsedAt ?? null,
    );
    return result.changes === 1;
  }

  async rename(username: string, credentialId: string, description: string): Promise<boolean> {
    return this.#rename.run(description, username, credentialId).changes === 1;
  }

  async delete(username: string, credentialId: string): Promise<boolean> {
    return this.#delete.run(username, credentialId).changes === 1;
  }

  async recordUse(credentialId: string, signCount: number, backedUp: boolean, time: number): Promise<boolean> {
    return this.#use.run(signCount, backedUp ? 1 : 0, time, credentialId, signCount, signCount).changes === 1;
  }
}

/** `user_preferences`. */
export class SqliteUserPreferencesRepository implements UserPreferencesRepository {
  readonly #get: Statement<[string], { second_factor_method: string }>;
  readonly #set: Statement<[string, string, number]>;

  constructor(db: Database) {
    this.#get = db.prepare('SELECT second_factor_method FROM user_preferences WHERE username = ?');
    this.#set = db.prepare(
      `INSERT INTO user_preferences (username, second_factor_method, updated_at) VALUES (?, ?, ?)
       ON CONFLICT (username) DO UPDATE SET second_factor_method = excluded.second_factor_method, updated_at = excluded.updated_at`,
    );
  }

  async secondFactorMethod(username: string): Promise<string | undefined> {
    return this.#get.get(username)?.second_factor_method;
  }

  async setSecondFactorMethod(username: string, method: string, time: number): Promise<void> {
    this.#set.run(username, method, time);
  }
}
