import type { Pool } from 'pg';
import type {
  IssuanceEvent,
  LogoutDelivery,
  OidcRepository,
  PendingAuthorization,
  RefreshOutcome,
  RefreshRedemption,
  RememberedConsent,
  StoredAuthorizationCode,
  StoredGrant,
  StoredSigningKey,
  StoredToken,
} from '../oidc-repositories.js';
import { type IssueSteps, insertAudit, insertGrant, insertTokens, redeemCode, redeemRefreshToken, saveIssued } from '../oidc-issue.js';
import {
  type CodeRow,
  type DeliveryRow,
  type GrantRow,
  type KeyRow,
  type PendingRow,
  type TokenRow,
  codeOf,
  deliveryOf,
  grantOf,
  keyOf,
  keyValues,
  pendingOf,
  pendingValues,
  scopeKey,
  signingKeyContext,
  tokenOf,
  words,
} from '../rows.js';
import type { ColumnCipher } from '../storage.js';
import { type Sql, changes, first, rows, transaction } from './db.js';
import { issueSteps, rotate, useCode } from './oidc-writes.js';

/** The OpenID Connect tables of migrations 0003 to 0005, on PostgreSQL. */
export class PostgresOidcRepository implements OidcRepository {
  readonly #pool: Pool;
  readonly #cipher: ColumnCipher;
  readonly #steps: IssueSteps<Sql>;

  constructor(pool: Pool, cipher: ColumnCipher) {
    this.#pool = pool;
    this.#cipher = cipher;
    this.#steps = issueSteps(pool);
  }

  async signingKeys(): Promise<StoredSigningKey[]> {
    const found = await rows<KeyRow>(
      this.#pool,
      'SELECT kid, algorithm, private_key, created_at, activates_at, retires_at FROM oidc_signing_keys ORDER BY created_at, kid',
    );
    return found.map((r) => keyOf(r, (sealed, context) => this.#cipher.decrypt(sealed, context)));
  }

  #keyValues(key: StoredSigningKey): unknown[] {
    return keyValues(key, this.#cipher.encrypt(key.privateKey, signingKeyContext(key.kid)));
  }

  async addSigningKey(key: StoredSigningKey): Promise<void> {
    await this.#pool.query(
      'INSERT INTO oidc_signing_keys (kid, algorithm, private_key, created_at, activates_at, retires_at) VALUES ($1, $2, $3, $4, $5, $6)',
      this.#keyValues(key),
    );
  }

  async addSigningKeyIfNone(key: StoredSigningKey): Promise<boolean> {
    // The table lock (which conflicts with itself, not with readers) makes the check and the
    // insert one step for every instance: two starting together cannot both find no key.
    return transaction(this.#pool, async (sql) => {
      await sql.query('LOCK TABLE oidc_signing_keys IN SHARE ROW EXCLUSIVE MODE');
      const inserted = await changes(
        sql,
        `INSERT INTO oidc_signing_keys (kid, algorithm, private_key, created_at, activates_at, retires_at)
         SELECT $1, $2, $3, $4, $5, $6 WHERE NOT EXISTS (SELECT 1 FROM oidc_signing_keys WHERE algorithm = $2)`,
        this.#keyValues(key),
      );
      return inserted === 1;
    });
  }

  async retireSigningKey(kid: string, retiresAt: number): Promise<void> {
    await this.#pool.query('UPDATE oidc_signing_keys SET retires_at = $1 WHERE kid = $2', [retiresAt, kid]);
  }

  async deleteRetiredSigningKeys(now: number): Promise<string[]> {
    return (await rows<{ kid: string }>(this.#pool, 'DELETE FROM oidc_signing_keys WHERE retires_at <= $1 RETURNING kid', [now])).map((r) => r.kid);
  }

  async subjectFor(username: string, sector: string, fresh: () => string, now: number): Promise<string> {
    const find = 'SELECT subject FROM oidc_subjects WHERE username = $1 AND sector = $2';
    const found = await first<{ subject: string }>(this.#pool, find, [username, sector]);
    if (found) return found.subject;
    // Another instance may create it at the same moment: the first insert wins, both read it.
    await this.#pool.query('INSERT INTO oidc_subjects (username, sector, subject, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING', [
      username,
      sector,
      fresh(),
      now,
    ]);
    return (await first<{ subject: string }>(this.#pool, find, [username, sector]))!.subject;
  }

  async savePending(p: PendingAuthorization): Promise<void> {
    await this.#pool.query(
      `INSERT INTO oidc_pending_authorizations (id_hash, client_id, parameters, login_after, consent, created_at, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (id_hash) DO UPDATE SET client_id = EXCLUDED.client_id, parameters = EXCLUDED.parameters, login_after = EXCLUDED.login_after,
         consent = EXCLUDED.consent, created_at = EXCLUDED.created_at, expires_at = EXCLUDED.expires_at`,
      pendingValues(p),
    );
  }

  async findPending(idHash: string, now: number): Promise<PendingAuthorization | undefined> {
    const row = await first<PendingRow>(this.#pool, 'SELECT * FROM oidc_pending_authorizations WHERE id_hash = $1 AND expires_at > $2', [idHash, now]);
    return row && pendingOf(row);
  }

  async deletePending(idHash: string): Promise<void> {
    await this.#pool.query('DELETE FROM oidc_pending_authorizations WHERE id_hash = $1', [idHash]);
  }

  async saveCode(c: StoredAuthorizationCode): Promise<void> {
    await this.#pool.query(
      'INSERT INTO oidc_authorization_codes (code_hash, grant_id, client_id, username, data, issued_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)',
      [c.codeHash, c.grantId, c.clientId, c.username, JSON.stringify(c.data), c.issuedAt, c.expiresAt],
    );
  }

  async findCode(codeHash: string): Promise<{ code: StoredAuthorizationCode; used: boolean } | undefined> {
    const row = await first<CodeRow>(this.#pool, 'SELECT * FROM oidc_authorization_codes WHERE code_hash = $1', [codeHash]);
    return row && { code: codeOf(row), used: row.consumed_at !== null };
  }

  consumeCode(codeHash: string, now: number): Promise<{ code: StoredAuthorizationCode; firstUse: boolean } | undefined> {
    return useCode(this.#pool, codeHash, now);
  }

  saveGrant(g: StoredGrant): Promise<void> {
    return insertGrant(this.#steps, this.#pool, g);
  }

  async findGrant(grantId: string): Promise<StoredGrant | undefined> {
    const row = await first<GrantRow>(this.#pool, 'SELECT * FROM oidc_grants WHERE grant_id = $1', [grantId]);
    return row && grantOf(row);
  }

  async grantsOfSession(sid: string, now: number): Promise<StoredGrant[]> {
    if (sid === '') return [];
    const live = 'SELECT * FROM oidc_grants WHERE sid = $1 AND revoked_at IS NULL AND expires_at > $2 ORDER BY created_at';
    return (await rows<GrantRow>(this.#pool, live, [sid, now])).map(grantOf);
  }

  async grantsOf(username: string, now: number): Promise<StoredGrant[]> {
    const live = 'SELECT * FROM oidc_grants WHERE username = $1 AND revoked_at IS NULL AND expires_at > $2 ORDER BY created_at DESC';
    return (await rows<GrantRow>(this.#pool, live, [username, now])).map(grantOf);
  }

  async enqueueLogout(d: Omit<LogoutDelivery, 'id' | 'attempts' | 'lastError'>): Promise<number> {
    const row = await first<{ id: number }>(
      this.#pool,
      `INSERT INTO oidc_logout_deliveries (client_id, uri, issuer, subject, sid, jti, reason, next_attempt_at, expires_at, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
      [d.clientId, d.uri, d.issuer, d.subject, d.sid, d.jti, d.reason, d.nextAttemptAt, d.expiresAt, d.createdAt],
    );
    return row!.id;
  }

  async dueLogouts(now: number, limit: number): Promise<LogoutDelivery[]> {
    const due = 'SELECT * FROM oidc_logout_deliveries WHERE next_attempt_at <= $1 AND expires_at > $1 ORDER BY next_attempt_at, id LIMIT $2';
    return (await rows<DeliveryRow>(this.#pool, due, [now, limit])).map(deliveryOf);
  }

  async claimLogouts(now: number, limit: number, leaseUntil: number, skipClients: readonly string[]): Promise<LogoutDelivery[]> {
    // The outer condition is checked again on each row once its lock is held (READ COMMITTED):
    // of two instances claiming at once, the second finds the row leased and leaves it.
    const claim = `UPDATE oidc_logout_deliveries SET next_attempt_at = $1 WHERE next_attempt_at <= $2 AND id IN (
        SELECT id FROM (
          SELECT id, next_attempt_at AS t, ROW_NUMBER() OVER (PARTITION BY client_id ORDER BY next_attempt_at, id) AS n
          FROM oidc_logout_deliveries
          WHERE next_attempt_at <= $2 AND expires_at > $2 AND NOT (client_id = ANY($3::text[]))
        ) ranked WHERE n = 1 ORDER BY t, id LIMIT $4
      ) RETURNING *`;
    const claimed = await rows<DeliveryRow>(this.#pool, claim, [leaseUntil, now, [...skipClients], limit]);
    return claimed.map(deliveryOf).sort((a, b) => a.id - b.id);
  }

  async logoutDelivered(id: number): Promise<void> {
    await this.#pool.query('DELETE FROM oidc_logout_deliveries WHERE id = $1', [id]);
  }

  async logoutFailed(id: number, nextAttemptAt: number, error: string): Promise<void> {
    await this.#pool.query('UPDATE oidc_logout_deliveries SET attempts = attempts + 1, next_attempt_at = $1, last_error = $2 WHERE id = $3', [
      nextAttemptAt,
      error.slice(0, 500),
      id,
    ]);
  }

  async dropExpiredLogouts(now: number): Promise<LogoutDelivery[]> {
    return (await rows<DeliveryRow>(this.#pool, 'DELETE FROM oidc_logout_deliveries WHERE expires_at <= $1 RETURNING *', [now])).map(deliveryOf);
  }

  async pendingLogouts(): Promise<number> {
    return (await first<{ n: number }>(this.#pool, 'SELECT COUNT(*) AS n FROM oidc_logout_deliveries'))!.n;
  }

  redeemCode(
    codeHash: string,
    now: number,
    issued: { grant: StoredGrant; tokens: readonly StoredToken[]; audit: IssuanceEvent },
  ): Promise<{ code: StoredAuthorizationCode; firstUse: boolean } | undefined> {
    return redeemCode(this.#steps, codeHash, now, issued);
  }

  saveToken(t: StoredToken): Promise<void> {
    return insertTokens(this.#steps, this.#pool, [t]);
  }

  saveIssued(issued: { grant?: StoredGrant | undefined; tokens: readonly StoredToken[]; audit?: IssuanceEvent | undefined }): Promise<void> {
    return saveIssued(this.#steps, issued);
  }

  async findToken(tokenHash: string): Promise<StoredToken | undefined> {
    const row = await first<TokenRow>(this.#pool, 'SELECT * FROM oidc_tokens WHERE token_hash = $1', [tokenHash]);
    return row && tokenOf(row);
  }

  async findTokenWithGrant(tokenHash: string): Promise<{ token: StoredToken; grant: StoredGrant | undefined } | undefined> {
    // The grant's columns as one JSON value: the join returns the token's row as it is, and the grant's or null.
    const row = await first<TokenRow & { grant_row: GrantRow | null }>(
      this.#pool,
      'SELECT t.*, row_to_json(g) AS grant_row FROM oidc_tokens t LEFT JOIN oidc_grants g ON g.grant_id = t.grant_id WHERE t.token_hash = $1',
      [tokenHash],
    );
    if (!row) return undefined;
    return { token: tokenOf(row), grant: row.grant_row ? grantOf(row.grant_row) : undefined };
  }

  async revokeToken(tokenHash: string, now: number): Promise<boolean> {
    return (await changes(this.#pool, 'UPDATE oidc_tokens SET revoked_at = $1 WHERE token_hash = $2 AND revoked_at IS NULL', [now, tokenHash])) === 1;
  }

  async rotateRefreshToken(
    tokenHash: string,
    now: number,
    successorHash?: string,
  ): Promise<{ token: StoredToken; firstUse: boolean; rotatedAt: number } | undefined> {
    const found = await rotate(this.#pool, tokenHash, now, successorHash ?? null);
    return found && { token: tokenOf(found.row), firstUse: found.firstUse, rotatedAt: found.row.rotated_at ?? now };
  }

  redeemRefreshToken(redeem: RefreshRedemption): Promise<RefreshOutcome | undefined> {
    return redeemRefreshToken(this.#steps, redeem);
  }

  async setSuccessor(tokenHash: string, successorHash: string): Promise<void> {
    await this.#pool.query('UPDATE oidc_tokens SET successor_hash = $1 WHERE token_hash = $2', [successorHash, tokenHash]);
  }

  revokeGrant(grantId: string, now: number): Promise<number> {
    // One statement: the grant and its tokens are revoked together.
    return changes(
      this.#pool,
      `WITH grant_revoked AS (UPDATE oidc_grants SET revoked_at = $1 WHERE grant_id = $2 AND revoked_at IS NULL)
       UPDATE oidc_tokens SET revoked_at = $1 WHERE grant_id = $2 AND revoked_at IS NULL`,
      [now, grantId],
    );
  }

  revokeGrantsOf(username: string, clientId: string | undefined, now: number): Promise<number> {
    const filter = clientId === undefined ? 'username = $2' : 'username = $2 AND client_id = $3';
    const values = clientId === undefined ? [now, username] : [now, username, clientId];
    return changes(
      this.#pool,
      `WITH tokens_revoked AS (UPDATE oidc_tokens SET revoked_at = $1 WHERE ${filter} AND revoked_at IS NULL)
       UPDATE oidc_grants SET revoked_at = $1 WHERE ${filter} AND revoked_at IS NULL`,
      values,
    );
  }

  deleteConsents(username: string, clientId: string | undefined): Promise<number> {
    if (clientId === undefined) return changes(this.#pool, 'DELETE FROM oidc_consents WHERE username = $1', [username]);
    return changes(this.#pool, 'DELETE FROM oidc_consents WHERE username = $1 AND client_id = $2', [username, clientId]);
  }

  async consentsOf(username: string, now: number): Promise<RememberedConsent[]> {
    const found = await rows<{ client_id: string; scopes: string; granted_at: number; expires_at: number }>(
      this.#pool,
      'SELECT client_id, scopes, granted_at, expires_at FROM oidc_consents WHERE username = $1 AND expires_at > $2 ORDER BY granted_at DESC',
      [username, now],
    );
    return found.map((r) => ({ clientId: r.client_id, scopes: words(r.scopes), grantedAt: r.granted_at, expiresAt: r.expires_at }));
  }

  async hasConsent(username: string, clientId: string, scopes: readonly string[], now: number): Promise<boolean> {
    const sql = 'SELECT 1 FROM oidc_consents WHERE username = $1 AND client_id = $2 AND scopes = $3 AND expires_at > $4';
    return (await first(this.#pool, sql, [username, clientId, scopeKey(scopes), now])) !== undefined;
  }

  async saveConsent(username: string, clientId: string, scopes: readonly string[], now: number, expiresAt: number): Promise<void> {
    await this.#pool.query(
      `INSERT INTO oidc_consents (username, client_id, scopes, granted_at, expires_at) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (username, client_id, scopes) DO UPDATE SET granted_at = EXCLUDED.granted_at, expires_at = EXCLUDED.expires_at`,
      [username, clientId, scopeKey(scopes), now, expiresAt],
    );
  }

  async recordJti(clientId: string, jtiHash: string, expiresAt: number, now: number): Promise<boolean> {
    await this.#pool.query('DELETE FROM oidc_jti WHERE client_id = $1 AND jti_hash = $2 AND expires_at <= $3', [clientId, jtiHash, now]);
    const inserted = await changes(this.#pool, 'INSERT INTO oidc_jti (client_id, jti_hash, expires_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [
      clientId,
      jtiHash,
      expiresAt,
    ]);
    return inserted === 1;
  }

  audit(e: IssuanceEvent): Promise<void> {
    return insertAudit(this.#steps, this.#pool, e);
  }

  async auditTrail(limit: number): Promise<IssuanceEvent[]> {
    const found = await rows<{ time: number; event: string; client_id: string; username: string; grant_id: string; detail: string }>(
      this.#pool,
      'SELECT time, event, client_id, username, grant_id, detail FROM oidc_issuance_log ORDER BY id DESC LIMIT $1',
      [limit],
    );
    return found.map((r) => ({ time: r.time, event: r.event, clientId: r.client_id, username: r.username, grantId: r.grant_id, detail: r.detail }));
  }

  async purgeExpired(now: number): Promise<number> {
    // One statement, so the purge is atomic like SQLite's transaction.
    const tables = ['oidc_pending_authorizations', 'oidc_authorization_codes', 'oidc_consents', 'oidc_jti', 'oidc_grants', 'oidc_tokens'];
    const deletes = tables.map((table, i) => `d${i} AS (DELETE FROM ${table} WHERE expires_at <= $1 RETURNING 1)`).join(', ');
    const total = tables.map((_, i) => `(SELECT COUNT(*) FROM d${i})`).join(' + ');
    return (await first<{ n: number }>(this.#pool, `WITH ${deletes} SELECT ${total} AS n`, [now]))!.n;
  }
}
