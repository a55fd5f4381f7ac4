import type { UserPreferencesRepository, WebAuthnCredential, WebAuthnRepository } from '../auth-repositories.js';
import { type WebAuthnRow, webauthnColumns, webauthnCredentialOf } from '../rows.js';
import { type Sql, changes, first, rows } from './db.js';

/** WebAuthn credentials (`webauthn_credentials`) and user handles (`webauthn_users`), on PostgreSQL. */
export class PostgresWebAuthnRepository implements WebAuthnRepository {
  constructor(private readonly sql: Sql) {}

  async userHandle(username: string, rpId: string, fresh: () => string, time: number): Promise<string> {
    // Two registrations at once: the first insert wins, both read its handle.
    await this.sql.query(
      'INSERT INTO webauthn_users (username, rp_id, user_handle, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT (username, rp_id) DO NOTHING',
      [username, rpId, fresh(), time],
    );
    const row = await first<{ user_handle: string }>(this.sql, 'SELECT user_handle FROM webauthn_users WHERE username = $1 AND rp_id = $2', [username, rpId]);
    return (row as { user_handle: string }).user_handle;
  }

  async usernameOfHandle(rpId: string, userHandle: string): Promise<string | undefined> {
    return (await first<{ username: string }>(this.sql, 'SELECT username FROM webauthn_users WHERE rp_id = $1 AND user_handle = $2', [rpId, userHandle]))
      ?.username;
  }

  async list(username: string, rpId?: string): Promise<WebAuthnCredential[]> {
    const found =
      rpId === undefined
        ? await rows<WebAuthnRow>(this.sql, `SELECT ${webauthnColumns} FROM webauthn_credentials WHERE username = $1 ORDER BY id`, [username])
        : await rows<WebAuthnRow>(this.sql, `SELECT ${webauthnColumns} FROM webauthn_credentials WHERE username = $1 AND rp_id = $2 ORDER BY id`, [
            username,
            rpId,
          ]);
    return found.map(webauthnCredentialOf);
  }

  async find(credentialId: string): Promise<WebAuthnCredential | undefined> {
    const row = await first<WebAuthnRow>(this.sql, `SELECT ${webauthnColumns} FROM webauthn_credentials WHERE credential_id = $1`, [credentialId]);
    return row && webauthnCredentialOf(row);
  }

  async add(c: WebAuthnCredential): Promise<boolean> {
    const added = await changes(
      this.sql,
      `INSERT INTO webauthn_credentials (${webauthnColumns}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
       ON CONFLICT (credential_id) DO NOTHING`,
      [
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
      ],
    );
    return added === 1;
  }

  async rename(username: string, credentialId: string, description: string): Promise<boolean> {
    return (
      (await changes(this.sql, 'UPDATE webauthn_credentials SET description = $1 WHERE username = $2 AND credential_id = $3', [
        description,
        username,
        credentialId,
      ])) === 1
    );
  }

  async delete(username: string, credentialId: string): Promise<boolean> {
    return (await changes(this.sql, 'DELETE FROM webauthn_credentials WHERE username = $1 AND credential_id = $2', [username, credentialId])) === 1;
  }

  async recordUse(credentialId: string, signCount: number, backedUp: boolean, time: number): Promise<boolean> {
    // The counter must rise, unless the authenticator keeps none (0 stored, 0 presented).
    const updated = await changes(
      this.sql,
      `UPDATE webauthn_credentials SET sign_count = $1, backed_up = $2, last_used_at = $3
       WHERE credential_id = $4 AND (sign_count < $1 OR (sign_count = 0 AND $1 = 0))`,
      [signCount, backedUp, time, credentialId],
    );
    return updated === 1;
  }
}

/** `user_preferences`, on PostgreSQL. */
export class PostgresUserPreferencesRepository implements UserPreferencesRepository {
  constructor(private readonly sql: Sql) {}

  async secondFactorMethod(username: string): Promise<string | undefined> {
    return (await first<{ second_factor_method: string }>(this.sql, 'SELECT second_factor_method FROM user_preferences WHERE username = $1', [username]))
      ?.second_factor_method;
  }

  async setSecondFactorMethod(username: string, method: string, time: number): Promise<void> {
    await this.sql.query(
      `INSERT INTO user_preferences (username, second_factor_method, updated_at) VALUES ($1, $2, $3)
       ON CONFLICT (username) DO UPDATE SET second_factor_method = EXCLUDED.second_factor_method, updated_at = EXCLUDED.updated_at`,
      [username, method, time],
    );
  }
}
