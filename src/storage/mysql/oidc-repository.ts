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
import { type Db, type Sql, changes, first, insertOnce, rows, run, transaction } from './db.js';
import { consumeCode, issueSteps, rotate } from './oidc-writes.js';

/** The tables whose rows the purge deletes once `expires_at` has passed. */
const expiringTables = ['oidc_pending_authorizations', 'oidc_authorization_codes', 'oidc_consents', 'oidc_jti', 'oidc_grants', 'oidc_tokens'];

/** The OpenID Connect tables of migrations 0003 to 0005, on MySQL/MariaDB. */
export class MysqlOidcRepository implements OidcRepository {
  readonly #db: Db;
  readonly #cipher: ColumnCipher;
  /** The name of the server-wide lock serialising "add a signing key if there is none" for this database. */
  readonly #keyLock: string;
  readonly #steps: IssueSteps<Sql>;

  constructor(db: Db, cipher: ColumnCipher, database: string) {
    this.#db = db;
    this.#cipher = cipher;
    this.#keyLock = `gatehouse:signing-keys:${database}`.slice(0, 64);
    this.#steps = issueSteps(db);
  }

  async signingKeys(): Promise<StoredSigningKey[]> {
    const found = await rows<KeyRow>(
      this.#db,
      'SELECT kid, algorithm, private_key, created_at, activates_at, retires_at FROM oidc_signing_keys ORDER BY created_at, kid',
    );
    return found.map((r) => keyOf(r, (sealed, context) => this.#cipher.decrypt(sealed, context)));
  }

  #keyValues(key: StoredSigningKey): unknown[] {
    return keyValues(key, this.#cipher.encrypt(key.privateKey, signingKeyContext(key.kid)));
  }

  async addSigningKey(key: StoredSigningKey): Promise<void> {
    await run(
      this.#db,
      'INSERT INTO oidc_signing_keys (kid, algorithm, private_key, created_at, activates_at, retires_at) VALUES (?, ?, ?, ?, ?, ?)',
      this.#keyValues(key),
    );
  }

  async addSigningKeyIfNone(key: StoredSigningKey): Promise<boolean> {
    // A named lock (GET_LOCK) makes the check and the insert one step for every instance: two
    // starting together cannot both find no key (READ COMMITTED takes no gap locks to prevent it).
    return transaction(this.#db, async (sql) => {
      const got = await first<{ got: number | null }>(sql, 'SELECT GET_LOCK(?, ?) AS got', [this.#keyLock, Math.ceil(this.#db.timeout / 1000)]);
      if (got?.got !== 1) throw Object.assign(new Error('the signing-key lock is held by another instance'), { code: 'ER_LOCK_WAIT_TIMEOUT' });
      try {
        const found = await first(sql, 'SELECT 1 FROM oidc_signing_keys WHERE algorithm = ? LIMIT 1', [key.algorithm]);
        if (found) return false;
        await run(
          sql,
          'INSERT INTO oidc_signing_keys (kid, algorithm, private_key, created_at, activates_at, retires_at) VALUES (?, ?, ?, ?, ?, ?)',
          this.#keyValues(key),
        );
        await run(sql, 'COMMIT');
        return true;
      } finally {
        await run(sql, 'SELECT RELEASE_LOCK(?)', [this.#keyLock]);
      }
    });
  }

  async retireSigningKey(kid: string, retiresAt: number): Promise<void> {
    await run(this.#db, 'UPDATE oidc_signing_keys SET retires_at = ? WHERE kid = ?', [retiresAt, kid]);
  }

  deleteRetiredSigningKeys(now: number): Promise<string[]> {
    return transaction(this.#db, async (sql) => {
      const found = await rows<{ kid: string }>(sql, 'SELECT kid FROM oidc_signing_keys WHERE retires_at <= ? FOR UPDATE', [now]);
      if (found.length > 0) await run(sql, 'DELETE FROM oidc_signing_keys WHERE kid IN (?)', [found.map((r) => r.kid)]);
      return found.map((r) => r.kid);
    });
  }

  async subjectFor(username: string, sector: string, fresh: () => string, now: number): Promise<string> {
    const find = 'SELECT subject FROM oidc_subjects WHERE username = ? AND sector = ?';
    const found = await first<{ subject: string }>(this.#db, find, [username, sector]);
    if (found) return found.subject;
    // Another instance may create it at the same moment: the first insert wins, both read it.
    await insertOnce(this.#db, 'INSERT INTO oidc_subjects (username, sector, subject, created_at) VALUES (?, ?, ?, ?)', [username, sector, fresh(), now]);
    return (await first<{ subject: string }>(this.#db, find, [username, sector]))!.subject;
  }

  async savePending(p: PendingAuthorization): Promise<void> {
    await run(
      this.#db,
      `INSERT INTO oidc_pending_authorizations (id_hash, client_id, parameters, login_after, consent, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON DUPLICATE KEY UPDATE client_id = VALUES(client_id), parameters = VALUES(parameters), login_after = VALUES(login_after),
         consent = VALUES(consent), created_at = VALUES(created_at), expires_at = VALUES(expires_at)`,
      pendingValues(p),
    );
  }

  async findPending(idHash: string, now: number): Promise<PendingAuthorization | undefined> {
    const row = await first<PendingRow>(this.#db, 'SELECT * FROM oidc_pending_authorizations WHERE id_hash = ? AND expires_at > ?', [idHash, now]);
    return row && pendingOf(row);
  }

  async deletePending(idHash: string): Promise<void> {
    await run(this.#db, 'DELETE FROM oidc_pending_authorizations WHERE id_hash = ?', [idHash]);
  }

  async saveCode(c: StoredAuthorizationCode): Promise<void> {
    await run(
      this.#db,
      'INSERT INTO oidc_authorization_codes (code_hash, grant_id, client_id, username, data, issued_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
      [c.codeHash, c.grantId, c.clientId, c.username, JSON.stringify(c.data), c.issuedAt, c.expiresAt],
    );
  }

  async findCode(codeHash: string): Promise<{ code: StoredAuthorizationCode; used: boolean } | undefined> {
    const row = await first<CodeRow>(this.#db, 'SELECT * FROM oidc_authorization_codes WHERE code_hash = ?', [codeHash]);
    return row && { code: codeOf(row), used: row.consumed_at !== null };
  }

  consumeCode(codeHash: string, now: number): Promise<{ code: StoredAuthorizationCode; firstUse: boolean } | undefined> {
    return consumeCode(this.#db, codeHash, now);
  }

  saveGrant(g: StoredGrant): Promise<void> {
    return insertGrant(this.#steps, this.#db, g);
  }

  async findGrant(grantId: string): Promise<StoredGrant | undefined> {
    const row = await first<GrantRow>(this.#db, 'SELECT * FROM oidc_grants WHERE grant_id = ?', [grantId]);
    return row && grantOf(row);
  }

  async grantsOfSession(sid: string, now: number): Promise<StoredGrant[]> {
    if (sid === '') return [];
    const live = 'SELECT * FROM oidc_grants WHERE sid = ? AND revoked_at IS NULL AND expires_at > ? ORDER BY created_at';
    return (await rows<GrantRow>(this.#db, live, [sid, now])).map(grantOf);
  }

  async grantsOf(username: string, now: number): Promise<StoredGrant[]> {
    const live = 'SELECT * FROM oidc_grants WHERE username = ? AND revoked_at IS NULL AND expires_at > ? ORDER BY created_at DESC';
    return (await rows<GrantRow>(this.#db, live, [username, now])).map(grantOf);
  }

  async enqueueLogout(d: Omit<LogoutDelivery, 'id' | 'attempts' | 'lastError'>): Promise<number> {
    const header = await run(
      this.#db,
      `INSERT INTO oidc_logout_deliveries (client_id, uri, issuer, subject, sid, jti, reason, next_attempt_at, expires_at, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [d.clientId, d.uri, d.issuer, d.subject, d.sid, d.jti, d.reason, d.nextAttemptAt, d.expiresAt, d.createdAt],
    );
    return header.insertId;
  }

  async dueLogouts(now: number, limit: number): Promise<LogoutDelivery[]> {
    const due = 'SELECT * FROM oidc_logout_deliveries WHERE next_attempt_at <= ? AND expires_at > ? ORDER BY next_attempt_at, id LIMIT ?';
    return (await rows<DeliveryRow>(this.#db, due, [now, now, limit])).map(deliveryOf);
  }

  claimLogouts(now: number, limit: number, leaseUntil: number, skipClients: readonly string[]): Promise<LogoutDelivery[]> {
    // The due rows are read locked (FOR UPDATE reads their latest version): of two instances
    // claiming at once, the second waits, then finds them leased. The earliest per client is taken.
    return transaction(this.#db, async (sql) => {
      const skip = skipClients.length > 0 ? 'AND client_id NOT IN (?)' : '';
      const values: unknown[] = skipClients.length > 0 ? [now, now, [...skipClients]] : [now, now];
      const due = await rows<{ id: number; client_id: string }>(
        sql,
        `SELECT id, client_id FROM oidc_logout_deliveries WHERE next_attempt_at <= ? AND expires_at > ? ${skip} ORDER BY next_attempt_at, id FOR UPDATE`,
        values,
      );
      const seen = new Set<string>();
      const ids = due
        .filter((r) => !seen.has(r.client_id) && seen.add(r.client_id))
        .slice(0, limit)
        .map((r) => r.id);
      if (ids.length === 0) return [];
      await run(sql, 'UPDATE oidc_logout_deliveries SET next_attempt_at = ? WHERE id IN (?)', [leaseUntil, ids]);
      const claimed = await rows<DeliveryRow>(sql, 'SELECT * FROM oidc_logout_deliveries WHERE id IN (?) ORDER BY id', [ids]);
      return claimed.map(deliveryOf);
    });
  }

  async logoutDelivered(id: number): Promise<void> {
    await run(this.#db, 'DELETE FROM oidc_logout_deliveries WHERE id = ?', [id]);
  }

  async logoutFailed(id: number, nextAttemptAt: number, error: string): Promise<void> {
    await run(this.#db, 'UPDATE oidc_logout_deliveries SET attempts = attempts + 1, next_attempt_at = ?, last_error = ? WHERE id = ?', [
      nextAttemptAt,
      error.slice(0, 500),
      id,
    ]);
  }

  dropExpiredLogouts(now: number): Promise<LogoutDelivery[]> {
    return transaction(this.#db, async (sql) => {
      const found = await rows<DeliveryRow>(sql, 'SELECT * FROM oidc_logout_deliveries WHERE expires_at <= ? FOR UPDATE', [now]);
      if (found.length > 0) await run(sql, 'DELETE FROM oidc_logout_deliveries WHERE id IN (?)', [found.map((r) => r.id)]);
      return found.map(deliveryOf);
    });
  }

  async pendingLogouts(): Promise<number> {
    return Number((await first<{ n: number }>(this.#db, 'SELECT COUNT(*) AS n FROM oidc_logout_deliveries'))!.n);
  }

  redeemCode(
    codeHash: string,
    now: number,
    issued: { grant: StoredGrant; tokens: readonly StoredToken[]; audit: IssuanceEvent },
  ): Promise<{ code: StoredAuthorizationCode; firstUse: boolean } | undefined> {
    return redeemCode(this.#steps, codeHash, now, issued);
  }

  saveToken(t: StoredToken): Promise<void> {
    return insertTokens(this.#steps, this.#db, [t]);
  }

  saveIssued(issued: { grant?: StoredGrant | undefined; tokens: readonly StoredToken[]; audit?: IssuanceEvent | undefined }): Promise<void> {
    return saveIssued(this.#steps, issued);
  }

  async findToken(tokenHash: string): Promise<StoredToken | undefined> {
    const row = await first<TokenRow>(this.#db, 'SELECT * FROM oidc_tokens WHERE token_hash = ?', [tokenHash]);
    return row && tokenOf(row);
  }

  async findTokenWithGrant(tokenHash: string): Promise<{ token: StoredToken; grant: StoredGrant | undefined } | undefined> {
    // The token first, then its grant: two primary-key reads (READ COMMITTED, as PostgreSQL's single join would see).
    const token = await first<TokenRow>(this.#db, 'SELECT * FROM oidc_tokens WHERE token_hash = ?', [tokenHash]);
    if (!token) return undefined;
    const grant = await first<GrantRow>(this.#db, 'SELECT * FROM oidc_grants WHERE grant_id = ?', [token.grant_id]);
    return { token: tokenOf(token), grant: grant ? grantOf(grant) : undefined };
  }

  async revokeToken(tokenHash: string, now: number): Promise<boolean> {
    return (await changes(this.#db, 'UPDATE oidc_tokens SET revoked_at = ? WHERE token_hash = ? AND revoked_at IS NULL', [now, tokenHash])) === 1;
  }

  async rotateRefreshToken(
    tokenHash: string,
    now: number,
    successorHash?: string,
  ): Promise<{ token: StoredToken; firstUse: boolean; rotatedAt: number } | undefined> {
    const found = await rotate(this.#db, tokenHash, now, successorHash ?? null);
    return found && { token: tokenOf(found.row), firstUse: found.firstUse, rotatedAt: found.row.rotated_at ?? now };
  }

  redeemRefreshToken(redeem: RefreshRedemption): Promise<RefreshOutcome | undefined> {
    return redeemRefreshToken(this.#steps, redeem);
  }

  async setSuccessor(tokenHash: string, successorHash: string): Promise<void> {
    await run(this.#db, 'UPDATE oidc_tokens SET successor_hash = ? WHERE token_hash = ?', [successorHash, tokenHash]);
  }

  revokeGrant(grantId: string, now: number): Promise<number> {
    // One transaction: the grant and its tokens are revoked together.
    return transaction(this.#db, async (sql) => {
      await run(sql, 'UPDATE oidc_grants SET revoked_at = ? WHERE grant_id = ? AND revoked_at IS NULL', [now, grantId]);
      return changes(sql, 'UPDATE oidc_tokens SET revoked_at = ? WHERE grant_id = ? AND revoked_at IS NULL', [now, grantId]);
    });
  }

  revokeGrantsOf(username: string, clientId: string | undefined, now: number): Promise<number> {
    const filter = clientId === undefined ? 'username = ?' : 'username = ? AND client_id = ?';
    const values = clientId === undefined ? [now, username] : [now, username, clientId];
    return transaction(this.#db, async (sql) => {
      await run(sql, `UPDATE oidc_tokens SET revoked_at = ? WHERE ${filter} AND revoked_at IS NULL`, values);
      return changes(sql, `UPDATE oidc_grants SET revoked_at = ? WHERE ${filter} AND revoked_at IS NULL`, values);
    });
  }

  deleteConsents(username: string, clientId: string | undefined): Promise<number> {
    if (clientId === undefined) return changes(this.#db, 'DELETE FROM oidc_consents WHERE username = ?', [username]);
    return changes(this.#db, 'DELETE FROM oidc_consents WHERE username = ? AND client_id = ?', [username, clientId]);
  }

  async consentsOf(username: string, now: number): Promise<RememberedConsent[]> {
    const found = await rows<{ client_id: string; scopes: string; granted_at: number; expires_at: number }>(
      this.#db,
      'SELECT client_id, scopes, granted_at, expires_at FROM oidc_consents WHERE username = ? AND expires_at > ? ORDER BY granted_at DESC',
      [username, now],
    );
    return found.map((r) => ({ clientId: r.client_id, scopes: words(r.scopes), grantedAt: r.granted_at, expiresAt: r.expires_at }));
  }

  async hasConsent(username: string, clientId: string, scopes: readonly string[], now: number): Promise<boolean> {
    const sql = 'SELECT 1 FROM oidc_consents WHERE username = ? AND client_id = ? AND scopes = ? AND expires_at > ?';
    return (await first(this.#db, sql, [username, clientId, scopeKey(scopes), now])) !== undefined;
  }

  async saveConsent(username: string, clientId: string, scopes: readonly string[], now: number, expiresAt: number): Promise<void> {
    await run(
      this.#db,
      `INSERT INTO oidc_consents (username, client_id, scopes, granted_at, expires_at) VALUES (?, ?, ?, ?, ?)
       ON DUPLICATE KEY UPDATE granted_at = VALUES(granted_at), expires_at = VALUES(expires_at)`,
      [username, clientId, scopeKey(scopes), now, expiresAt],
    );
  }

  async recordJti(clientId: string, jtiHash: string, expiresAt: number, now: number): Promise<boolean> {
    await run(this.#db, 'DELETE FROM oidc_jti WHERE client_id = ? AND jti_hash = ? AND expires_at <= ?', [clientId, jtiHash, now]);
    return insertOnce(this.#db, 'INSERT INTO oidc_jti (client_id, jti_hash, expires_at) VALUES (?, ?, ?)', [clientId, jtiHash, expiresAt]);
  }

  audit(e: IssuanceEvent): Promise<void> {
    return insertAudit(this.#steps, this.#db, e);
  }

  async auditTrail(limit: number): Promise<IssuanceEvent[]> {
    const found = await rows<{ time: number; event: string; client_id: string; username: string; grant_id: string; detail: string }>(
      this.#db,
      'SELECT time, event, client_id, username, grant_id, detail FROM oidc_issuance_log ORDER BY id DESC LIMIT ?',
      [limit],
    );
    return found.map((r) => ({ time: r.time, event: r.event, clientId: r.client_id, username: r.username, grantId: r.grant_id, detail: r.detail }));
  }

  purgeExpired(now: number): Promise<number> {
    // One transaction, so the purge is atomic like SQLite's.
    return transaction(this.#db, async (sql) => {
      let total = 0;
      for (const table of expiringTables) total += await changes(sql, `DELETE FROM ${table} WHERE expires_at <= ?`, [now]);
      return total;
    });
  }
}
