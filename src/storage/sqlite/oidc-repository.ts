import type { Database, Statement } from 'better-sqlite3';
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
import {
  type CodeRow,
  type DeliveryRow,
  type GrantRow,
  type KeyRow,
  type PendingRow,
  type TokenRow,
  auditColumns,
  auditValues,
  codeOf,
  deliveryOf,
  grantColumns,
  grantOf,
  grantValues,
  keyColumns,
  keyOf,
  keyValues,
  marks,
  pendingColumns,
  pendingOf,
  pendingValues,
  refreshOutcome,
  scopeKey,
  signingKeyContext,
  tokenColumns,
  tokenOf,
  tokenValues,
  words,
} from '../rows.js';
import type { ColumnCipher } from '../storage.js';

// The INSERT texts, built once (token issuance prepares them by text on every call).
const insertKey = `INSERT INTO oidc_signing_keys (${keyColumns}) VALUES (${marks(6)})`;
const insertKeyIfNone = `INSERT INTO oidc_signing_keys (${keyColumns}) SELECT ${marks(6)} WHERE NOT EXISTS (SELECT 1 FROM oidc_signing_keys WHERE algorithm = ?)`;
const upsertPending = `INSERT OR REPLACE INTO oidc_pending_authorizations (${pendingColumns}) VALUES (${marks(7)})`;
const insertGrant = `INSERT INTO oidc_grants (${grantColumns}) VALUES (${marks(10)})`;
const insertToken = `INSERT INTO oidc_tokens (${tokenColumns}) VALUES (${marks(12)})`;
const insertAudit = `INSERT INTO oidc_issuance_log (${auditColumns}) VALUES (${marks(6)})`;

/** The OpenID Connect tables of migrations 0003 and 0004. */
export class SqliteOidcRepository implements OidcRepository {
  readonly #db: Database;
  readonly #cipher: ColumnCipher;

  readonly #statements = new Map<string, Statement>();

  constructor(db: Database, cipher: ColumnCipher) {
    this.#db = db;
    this.#cipher = cipher;
  }

  /** A prepared statement, compiled once per SQL text. */
  #prep(sql: string): Statement {
    let statement = this.#statements.get(sql);
    if (!statement) {
      statement = this.#db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }

  async signingKeys(): Promise<StoredSigningKey[]> {
    const rows = this.#prep(`SELECT ${keyColumns} FROM oidc_signing_keys ORDER BY created_at`).all() as KeyRow[];
    return rows.map((r) => keyOf(r, (sealed, context) => this.#cipher.decrypt(sealed, context)));
  }

  async addSigningKey(key: StoredSigningKey): Promise<void> {
    const sealed = this.#cipher.encrypt(key.privateKey, signingKeyContext(key.kid));
    this.#prep(insertKey).run(keyValues(key, sealed));
  }

  async addSigningKeyIfNone(key: StoredSigningKey): Promise<boolean> {
    const sealed = this.#cipher.encrypt(key.privateKey, signingKeyContext(key.kid));
    // One statement: SQLite runs it under the database's write lock, so the check and the insert are one step.
    return this.#prep(insertKeyIfNone).run(...keyValues(key, sealed), key.algorithm).changes === 1;
  }

  async retireSigningKey(kid: string, retiresAt: number): Promise<void> {
    this.#prep('UPDATE oidc_signing_keys SET retires_at = ? WHERE kid = ?').run(retiresAt, kid);
  }

  async deleteRetiredSigningKeys(now: number): Promise<string[]> {
    return this.#db.transaction(() => {
      const rows = this.#prep('SELECT kid FROM oidc_signing_keys WHERE retires_at IS NOT NULL AND retires_at <= ?').all(now) as { kid: string }[];
      this.#prep('DELETE FROM oidc_signing_keys WHERE retires_at IS NOT NULL AND retires_at <= ?').run(now);
      return rows.map((r) => r.kid);
    })();
  }

  async subjectFor(username: string, sector: string, fresh: () => string, now: number): Promise<string> {
    const find = this.#prep('SELECT subject FROM oidc_subjects WHERE username = ? AND sector = ?');
    const found = find.get(username, sector) as { subject: string } | undefined;
    if (found) return found.subject;
    this.#prep('INSERT OR IGNORE INTO oidc_subjects (username, sector, subject, created_at) VALUES (?, ?, ?, ?)').run(username, sector, fresh(), now);
    return (find.get(username, sector) as { subject: string }).subject;
  }

  async savePending(p: PendingAuthorization): Promise<void> {
    this.#prep(upsertPending).run(pendingValues(p));
  }

  async findPending(idHash: string, now: number): Promise<PendingAuthorization | undefined> {
    const row = this.#prep('SELECT * FROM oidc_pending_authorizations WHERE id_hash = ? AND expires_at > ?').get(idHash, now) as PendingRow | undefined;
    return row && pendingOf(row);
  }

  async deletePending(idHash: string): Promise<void> {
    this.#prep('DELETE FROM oidc_pending_authorizations WHERE id_hash = ?').run(idHash);
  }

  async saveCode(c: StoredAuthorizationCode): Promise<void> {
    this.#prep('INSERT INTO oidc_authorization_codes (code_hash, grant_id, client_id, username, data, issued_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)').run(
      c.codeHash,
      c.grantId,
      c.clientId,
      c.username,
      JSON.stringify(c.data),
      c.issuedAt,
      c.expiresAt,
    );
  }

  async findCode(codeHash: string): Promise<{ code: StoredAuthorizationCode; used: boolean } | undefined> {
    const row = this.#prep('SELECT * FROM oidc_authorization_codes WHERE code_hash = ?').get(codeHash) as CodeRow | undefined;
    return row ? { code: codeOf(row), used: row.consumed_at !== null } : undefined;
  }

  async consumeCode(codeHash: string, now: number): Promise<{ code: StoredAuthorizationCode; firstUse: boolean } | undefined> {
    return this.#db.transaction(() => {
      const row = this.#prep('SELECT * FROM oidc_authorization_codes WHERE code_hash = ?').get(codeHash) as CodeRow | undefined;
      if (!row) return undefined;
      const firstUse =
        this.#prep('UPDATE oidc_authorization_codes SET consumed_at = ? WHERE code_hash = ? AND consumed_at IS NULL').run(now, codeHash).changes === 1;
      return { code: codeOf(row), firstUse };
    })();
  }

  async saveGrant(g: StoredGrant): Promise<void> {
    this.#insertGrant(g);
  }

  #insertGrant(g: StoredGrant): void {
    this.#prep(insertGrant).run(grantValues(g));
  }

  async grantsOfSession(sid: string, now: number): Promise<StoredGrant[]> {
    if (sid === '') return [];
    const rows = this.#prep('SELECT * FROM oidc_grants WHERE sid = ? AND revoked_at IS NULL AND expires_at > ? ORDER BY created_at').all(
      sid,
      now,
    ) as GrantRow[];
    return rows.map(grantOf);
  }

  async enqueueLogout(d: Omit<LogoutDelivery, 'id' | 'attempts' | 'lastError'>): Promise<number> {
    return Number(
      this.#prep(
        `INSERT INTO oidc_logout_deliveries (client_id, uri, issuer, subject, sid, jti, reason, next_attempt_at, expires_at, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ).run(d.clientId, d.uri, d.issuer, d.subject, d.sid, d.jti, d.reason, d.nextAttemptAt, d.expiresAt, d.createdAt).lastInsertRowid,
    );
  }

  async dueLogouts(now: number, limit: number): Promise<LogoutDelivery[]> {
    const rows = this.#prep('SELECT * FROM oidc_logout_deliveries WHERE next_attempt_at <= ? AND expires_at > ? ORDER BY next_attempt_at, id LIMIT ?').all(
      now,
      now,
      limit,
    ) as DeliveryRow[];
    return rows.map(deliveryOf);
  }

  async claimLogouts(now: number, limit: number, leaseUntil: number, skipClients: readonly string[]): Promise<LogoutDelivery[]> {
    const rows = this.#prep(
      `UPDATE oidc_logout_deliveries SET next_attempt_at = ? WHERE next_attempt_at <= ? AND id IN (
         SELECT id FROM (
           SELECT id, next_attempt_at AS t, ROW_NUMBER() OVER (PARTITION BY client_id ORDER BY next_attempt_at, id) AS n
           FROM oidc_logout_deliveries
           WHERE next_attempt_at <= ? AND expires_at > ? AND client_id NOT IN (SELECT value FROM json_each(?))
         ) WHERE n = 1 ORDER BY t, id LIMIT ?
       ) RETURNING *`,
    ).all(leaseUntil, now, now, now, JSON.stringify(skipClients), limit) as DeliveryRow[];
    return rows.map(deliveryOf).sort((a, b) => a.id - b.id);
  }

  async logoutDelivered(id: number): Promise<void> {
    this.#prep('DELETE FROM oidc_logout_deliveries WHERE id = ?').run(id);
  }

  async logoutFailed(id: number, nextAttemptAt: number, error: string): Promise<void> {
    this.#prep('UPDATE oidc_logout_deliveries SET attempts = attempts + 1, next_attempt_at = ?, last_error = ? WHERE id = ?').run(
      nextAttemptAt,
      error.slice(0, 500),
      id,
    );
  }

  async dropExpiredLogouts(now: number): Promise<LogoutDelivery[]> {
    return this.#db.transaction(() => {
      const rows = this.#prep('SELECT * FROM oidc_logout_deliveries WHERE expires_at <= ?').all(now) as DeliveryRow[];
      this.#prep('DELETE FROM oidc_logout_deliveries WHERE expires_at <= ?').run(now);
      return rows.map(deliveryOf);
    })();
  }

  async pendingLogouts(): Promise<number> {
    return (this.#prep('SELECT COUNT(*) AS n FROM oidc_logout_deliveries').get() as { n: number }).n;
  }

  async findGrant(grantId: string): Promise<StoredGrant | undefined> {
    const row = this.#prep('SELECT * FROM oidc_grants WHERE grant_id = ?').get(grantId) as GrantRow | undefined;
    return row && grantOf(row);
  }

  async grantsOf(username: string, now: number): Promise<StoredGrant[]> {
    const rows = this.#prep('SELECT * FROM oidc_grants WHERE username = ? AND revoked_at IS NULL AND expires_at > ? ORDER BY created_at DESC').all(
      username,
      now,
    ) as GrantRow[];
    return rows.map(grantOf);
  }

  async saveToken(t: StoredToken): Promise<void> {
    this.#insertToken(t);
  }

  #insertToken(t: StoredToken): void {
    this.#prep(insertToken).run(tokenValues(t));
  }

  async redeemCode(
    codeHash: string,
    now: number,
    issued: { grant: StoredGrant; tokens: readonly StoredToken[]; audit: IssuanceEvent },
  ): Promise<{ code: StoredAuthorizationCode; firstUse: boolean } | undefined> {
    return this.#db.transaction(() => {
      const row = this.#prep('SELECT * FROM oidc_authorization_codes WHERE code_hash = ?').get(codeHash) as CodeRow | undefined;
      if (!row) return undefined;
      const firstUse =
        this.#prep('UPDATE oidc_authorization_codes SET consumed_at = ? WHERE code_hash = ? AND consumed_at IS NULL').run(now, codeHash).changes === 1;
      if (firstUse) {
        this.#insertGrant(issued.grant);
        for (const token of issued.tokens) this.#insertToken(token);
        this.#insertAudit(issued.audit);
      }
      return { code: codeOf(row), firstUse };
    })();
  }

  async saveIssued(issued: { grant?: StoredGrant | undefined; tokens: readonly StoredToken[]; audit?: IssuanceEvent | undefined }): Promise<void> {
    this.#db.transaction(() => {
      if (issued.grant) this.#insertGrant(issued.grant);
      for (const token of issued.tokens) this.#insertToken(token);
      if (issued.audit) this.#insertAudit(issued.audit);
    })();
  }

  async findToken(tokenHash: string): Promise<StoredToken | undefined> {
    const row = this.#prep('SELECT * FROM oidc_tokens WHERE token_hash = ?').get(tokenHash) as TokenRow | undefined;
    return row && tokenOf(row);
  }

  async findTokenWithGrant(tokenHash: string): Promise<{ token: StoredToken; grant: StoredGrant | undefined } | undefined> {
    const row = this.#prep(
      `SELECT t.*, g.client_id AS g_client_id, g.username AS g_username, g.subject AS g_subject, g.scopes AS g_scopes, g.data AS g_data,
              g.created_at AS g_created_at, g.expires_at AS g_expires_at, g.revoked_at AS g_revoked_at, g.grant_id AS g_grant_id, g.sid AS g_sid
       FROM oidc_tokens t LEFT JOIN oidc_grants g ON g.grant_id = t.grant_id WHERE t.token_hash = ?`,
    ).get(tokenHash) as (TokenRow & Record<`g_${keyof GrantRow}`, unknown>) | undefined;
    if (!row) return undefined;
    const grant =
      row.g_grant_id === null
        ? undefined
        : grantOf({
            grant_id: row.g_grant_id as string,
            client_id: row.g_client_id as string,
            username: row.g_username as string,
            subject: row.g_subject as string,
            scopes: row.g_scopes as string,
            data: row.g_data as string,
            created_at: row.g_created_at as number,
            expires_at: row.g_expires_at as number,
            revoked_at: row.g_revoked_at as number | null,
            sid: row.g_sid as string,
          });
    return { token: tokenOf(row), grant };
  }

  async revokeToken(tokenHash: string, now: number): Promise<boolean> {
    return this.#prep('UPDATE oidc_tokens SET revoked_at = ? WHERE token_hash = ? AND revoked_at IS NULL').run(now, tokenHash).changes === 1;
  }

  async rotateRefreshToken(
    tokenHash: string,
    now: number,
    successorHash?: string,
  ): Promise<{ token: StoredToken; firstUse: boolean; rotatedAt: number } | undefined> {
    return this.#db.transaction(() => {
      const firstUse =
        this.#prep("UPDATE oidc_tokens SET rotated_at = ?, successor_hash = ? WHERE token_hash = ? AND kind = 'refresh' AND rotated_at IS NULL").run(
          now,
          successorHash ?? null,
          tokenHash,
        ).changes === 1;
      const row = this.#prep('SELECT * FROM oidc_tokens WHERE token_hash = ?').get(tokenHash) as TokenRow | undefined;
      if (!row) return undefined;
      return { token: tokenOf(row), firstUse, rotatedAt: row.rotated_at ?? now };
    })();
  }

  async redeemRefreshToken(redeem: RefreshRedemption): Promise<RefreshOutcome | undefined> {
    return this.#db.transaction(() => {
      const firstUse =
        this.#prep("UPDATE oidc_tokens SET rotated_at = ?, successor_hash = ? WHERE token_hash = ? AND kind = 'refresh' AND rotated_at IS NULL").run(
          redeem.now,
          redeem.successorHash,
          redeem.tokenHash,
        ).changes === 1;
      const row = this.#prep('SELECT * FROM oidc_tokens WHERE token_hash = ?').get(redeem.tokenHash) as TokenRow | undefined;
      if (row?.kind !== 'refresh') return undefined;
      const rotatedAt = row.rotated_at ?? redeem.now;
      const outcome = refreshOutcome(firstUse, rotatedAt, redeem.now, redeem.reuseGrace);
      if (outcome !== 'replayed') {
        for (const token of redeem.tokens) this.#insertToken(token);
        const event = redeem.audit(firstUse, rotatedAt);
        if (event) this.#insertAudit(event);
      }
      return { token: tokenOf(row), outcome, rotatedAt } as const;
    })();
  }

  async setSuccessor(tokenHash: string, successorHash: string): Promise<void> {
    this.#prep('UPDATE oidc_tokens SET successor_hash = ? WHERE token_hash = ?').run(successorHash, tokenHash);
  }

  async revokeGrant(grantId: string, now: number): Promise<number> {
    return this.#db.transaction(() => {
      this.#prep('UPDATE oidc_grants SET revoked_at = ? WHERE grant_id = ? AND revoked_at IS NULL').run(now, grantId);
      return this.#prep('UPDATE oidc_tokens SET revoked_at = ? WHERE grant_id = ? AND revoked_at IS NULL').run(now, grantId).changes;
    })();
  }

  async revokeGrantsOf(username: string, clientId: string | undefined, now: number): Promise<number> {
    return this.#db.transaction(() => {
      const filter = clientId === undefined ? 'username = ?' : 'username = ? AND client_id = ?';
      const args = clientId === undefined ? [username] : [username, clientId];
      const grants = this.#prep(`UPDATE oidc_grants SET revoked_at = ? WHERE ${filter} AND revoked_at IS NULL`).run(now, ...args).changes;
      this.#prep(`UPDATE oidc_tokens SET revoked_at = ? WHERE ${filter} AND revoked_at IS NULL`).run(now, ...args);
      return grants;
    })();
  }

  async deleteConsents(username: string, clientId: string | undefined): Promise<number> {
    if (clientId === undefined) return this.#prep('DELETE FROM oidc_consents WHERE username = ?').run(username).changes;
    return this.#prep('DELETE FROM oidc_consents WHERE username = ? AND client_id = ?').run(username, clientId).changes;
  }

  async consentsOf(username: string, now: number): Promise<RememberedConsent[]> {
    const rows = this.#prep(
      'SELECT client_id, scopes, granted_at, expires_at FROM oidc_consents WHERE username = ? AND expires_at > ? ORDER BY granted_at DESC',
    ).all(username, now) as { client_id: string; scopes: string; granted_at: number; expires_at: number }[];
    return rows.map((r) => ({ clientId: r.client_id, scopes: words(r.scopes), grantedAt: r.granted_at, expiresAt: r.expires_at }));
  }

  async hasConsent(username: string, clientId: string, scopes: readonly string[], now: number): Promise<boolean> {
    const row = this.#prep('SELECT 1 FROM oidc_consents WHERE username = ? AND client_id = ? AND scopes = ? AND expires_at > ?').get(
      username,
      clientId,
      scopeKey(scopes),
      now,
    );
    return row !== undefined;
  }

  async saveConsent(username: string, clientId: string, scopes: readonly string[], now: number, expiresAt: number): Promise<void> {
    this.#prep('INSERT OR REPLACE INTO oidc_consents (username, client_id, scopes, granted_at, expires_at) VALUES (?, ?, ?, ?, ?)').run(
      username,
      clientId,
      scopeKey(scopes),
      now,
      expiresAt,
    );
  }

  async recordJti(clientId: string, jtiHash: string, expiresAt: number, now: number): Promise<boolean> {
    this.#prep('DELETE FROM oidc_jti WHERE client_id = ? AND jti_hash = ? AND expires_at <= ?').run(clientId, jtiHash, now);
    return this.#prep('INSERT OR IGNORE INTO oidc_jti (client_id, jti_hash, expires_at) VALUES (?, ?, ?)').run(clientId, jtiHash, expiresAt).changes === 1;
  }

  async audit(e: IssuanceEvent): Promise<void> {
    this.#insertAudit(e);
  }

  #insertAudit(e: IssuanceEvent): void {
    this.#prep(insertAudit).run(auditValues(e));
  }

  async auditTrail(limit: number): Promise<IssuanceEvent[]> {
    const rows = this.#prep('SELECT time, event, client_id, username, grant_id, detail FROM oidc_issuance_log ORDER BY id DESC LIMIT ?').all(limit) as {
      time: number;
      event: string;
      client_id: string;
      username: string;
      grant_id: string;
      detail: string;
    }[];
    return rows.map((r) => ({ time: r.time, event: r.event, clientId: r.client_id, username: r.username, grantId: r.grant_id, detail: r.detail }));
  }

  async purgeExpired(now: number): Promise<number> {
    return this.#db.transaction(() => {
      let n = 0;
      for (const table of ['oidc_pending_authorizations', 'oidc_authorization_codes', 'oidc_consents', 'oidc_jti', 'oidc_grants']) {
        n += this.#prep(`DELETE FROM ${table} WHERE expires_at <= ?`).run(now).changes;
      }
      return n + this.#prep('DELETE FROM oidc_tokens WHERE expires_at <= ?').run(now).changes;
    })();
  }
}
