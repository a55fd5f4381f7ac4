import type { UserPreferencesRepository, WebAuthnCredential, WebAuthnRepository } from '../auth-repositories.js';
import { type WebAuthnRow, webauthnColumns, webauthnCredentialOf } from '../rows.js';
import { type Db, changes, first, insertOnce, rows, run } from './db.js';

/** WebAuthn credentials (`webauthn_credentials`) and user handles (`webauthn_users`), on MySQL/MariaDB. */
export class MysqlWebAuthnRepository implements WebAuthnRepository {
  constructor(private readonly db: Db) {}

  async userHandle(username: string, rpId: string, fresh: () => string, time: number): Promise<string> {
    // Two registrations at once: the first insert wins (the primary key), both read its handle.
    await insertOnce(this.db, 'INSERT INTO webauthn_users (username, rp_id, user_handle, created_at) VALUES (?, ?, ?, ?)', [username, rpId, fresh(), time]);
    const row = await first<{ user_handle: string }>(this.db, 'SELECT user_handle FROM webauthn_users WHERE username = ? AND rp_id = ?', [username, rpId]);
    return (row as { user_handle: string }).user_handle;
  }

  async usernameOfHandle(rpId: string, userHandle: string): Promise<string | undefined> {
    return (await first<{ username: string }>(this.db, 'SELECT username FROM webauthn_users WHERE rp_id = ? AND user_handle = ?', [rpId, userHandle]))
      ?.username;
  }

  async list(username: string, rpId?: string): Promise<WebAuthnCredential[]> {
    const found =
      rpId === undefined
        ? await rows<WebAuthnRow>(this.db, `SELECT ${webauthnColumns} FROM webauthn_credentials WHERE username = ? ORDER BY id`, [username])
        : await rows<WebAuthnRow>(this.db, `SELECT ${webauthnColumns} FROM webauthn_credentials WHERE username = ? AND rp_id = ? ORDER BY id`, [
            username,
            rpId,
          ]);
    return found.map(webauthnCredentialOf);
  }

  async find(credentialId: string): Promise<WebAuthnCredential | undefined> {
    const row = await first<WebAuthnRow>(this.db, `SELECT ${webauthnColumns} FROM webauthn_credentials WHERE credential_id = ?`, [credentialId]);
    return row && webauthnCredentialOf(row);
  }

  add(c: WebAuthnCredential): Promise<boolean> {
    return insertOnce(this.db, `INSERT INTO webauthn_credentials (${webauthnColumns}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, [
      c.username,
      c.rpId,
      c.credentialId,
      c.description,
      c.publicKey,
      c.signCount,
      c.transports.join(','),
      c.aaguid,
      c.discoverable,
      c.backupEligible,
      c.backedUp,
      c.createdAt,
      c.lastUsedAt ?? null,
    ]);
  }

  async rename(username: string, credentialId: string, description: string): Promise<boolean> {
    const sql = 'UPDATE webauthn_credentials SET description = ? WHERE username = ? AND credential_id = ?';
    return (await changes(this.db, sql, [description, username, credentialId])) === 1;
  }

  async delete(username: string, credentialId: string): Promise<boolean> {
    return (await changes(this.db, 'DELETE FROM webauthn_credentials WHERE username = ? AND credential_id = ?', [username, credentialId])) === 1;
  }

  async recordUse(credentialId: string, signCount: number, backedUp: boolean, time: number): Promise<boolean> {
    // The counter must rise, unless the authenticator keeps none (0 stored, 0 presented); the
    // WHERE is checked on the row's latest version under its lock, so two uses cannot both pass.
    const updated = await changes(
      this.db,
      `UPDATE webauthn_credentials SET sign_count = ?, backed_up = ?, last_used_at = ?
       WHERE credential_id = ? AND (sign_count < ? OR (sign_count = 0 AND ? = 0))`,
      [signCount, backedUp, time, credentialId, signCount, signCount],
    );
    return updated === 1;
  }
}

/** `user_preferences`, on MySQL/MariaDB. */
export class MysqlUserPreferencesRepository implements UserPreferencesRepository {
  constructor(private readonly db: Db) {}

  async secondFactorMethod(username: string): Promise<string | undefined> {
    return (await first<{ second_factor_method: string }>(this.db, 'SELECT second_factor_method FROM user_preferences WHERE username = ?', [username]))
      ?.second_factor_method;
  }

  async setSecondFactorMethod(username: string, method: string, time: number): Promise<void> {
    await run(
      this.db,
      `INSERT INTO user_preferences (username, second_factor_method, updated_at) VALUES (?, ?, ?)
       ON DUPLICATE KEY UPDATE second_factor_method = VALUES(second_factor_method), updated_at = VALUES(updated_at)`,
      [username, method, time],
    );
  }
}
