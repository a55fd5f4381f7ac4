/**
 * The OpenID Connect writes that must happen together, each in one transaction: redeeming a code
 * (single use across every instance: the conditional UPDATE takes the row's lock, so a concurrent
 * redemption waits and then finds the code used) and a refresh token (rotation, the same way),
 * and storing what one token request issued.
 */
import type { Pool } from 'pg';
import type { IssuanceEvent, StoredAuthorizationCode, StoredGrant, StoredToken } from '../oidc-repositories.js';
import { type CodeRow, type TokenRow, codeOf, tokenOf } from '../rows.js';
import { type Sql, first, transaction, valuesList } from './db.js';

const tokenColumns = 'token_hash, kind, grant_id, client_id, username, subject, scopes, issued_at, expires_at, revoked_at, format, audience';

export async function insertGrant(sql: Sql, g: StoredGrant): Promise<void> {
  await sql.query(
    `INSERT INTO oidc_grants (grant_id, client_id, username, subject, scopes, data, created_at, expires_at, revoked_at, sid)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
    [g.grantId, g.clientId, g.username, g.subject, g.scopes.join(' '), JSON.stringify(g.data), g.createdAt, g.expiresAt, g.revokedAt ?? null, g.sid ?? ''],
  );
}

/** One INSERT for every token of a request. */
export async function insertTokens(sql: Sql, tokens: readonly StoredToken[]): Promise<void> {
  if (tokens.length === 0) return;
  const values = tokens.flatMap((t) => [
    t.tokenHash,
    t.kind,
    t.grantId,
    t.clientId,
    t.username,
    t.subject,
    t.scopes.join(' '),
    t.issuedAt,
    t.expiresAt,
    t.revokedAt ?? null,
    t.format ?? 'opaque',
    (t.audience ?? []).join(' '),
  ]);
  await sql.query(`INSERT INTO oidc_tokens (${tokenColumns}) VALUES ${valuesList(tokens.length, 12)}`, values);
}

export async function insertAudit(sql: Sql, e: IssuanceEvent): Promise<void> {
  await sql.query('INSERT INTO oidc_issuance_log (time, event, client_id, username, grant_id, detail) VALUES ($1, $2, $3, $4, $5, $6)', [
    e.time,
    e.event,
    e.clientId,
    e.username,
    e.grantId,
    e.detail,
  ]);
}

/** Marks the code used if it was not; the row either way (undefined: no such code). */
export async function useCode(sql: Sql, codeHash: string, now: number): Promise<{ code: StoredAuthorizationCode; firstUse: boolean } | undefined> {
  const used = await first<CodeRow>(sql, 'UPDATE oidc_authorization_codes SET consumed_at = $1 WHERE code_hash = $2 AND consumed_at IS NULL RETURNING *', [
    now,
    codeHash,
  ]);
  if (used) return { code: codeOf(used), firstUse: true };
  const row = await first<CodeRow>(sql, 'SELECT * FROM oidc_authorization_codes WHERE code_hash = $1', [codeHash]);
  return row && { code: codeOf(row), firstUse: false };
}

/** Marks a refresh token rotated if it was not, recording its successor; the row either way (undefined: no such token). */
export async function rotate(
  sql: Sql,
  tokenHash: string,
  now: number,
  successorHash: string | null,
): Promise<{ row: TokenRow; firstUse: boolean } | undefined> {
  const rotated = await first<TokenRow>(
    sql,
    "UPDATE oidc_tokens SET rotated_at = $1, successor_hash = $2 WHERE token_hash = $3 AND kind = 'refresh' AND rotated_at IS NULL RETURNING *",
    [now, successorHash, tokenHash],
  );
  if (rotated) return { row: rotated, firstUse: true };
  const row = await first<TokenRow>(sql, 'SELECT * FROM oidc_tokens WHERE token_hash = $1', [tokenHash]);
  return row && { row, firstUse: false };
}

export function redeemCode(
  pool: Pool,
  codeHash: string,
  now: number,
  issued: { grant: StoredGrant; tokens: readonly StoredToken[]; audit: IssuanceEvent },
): Promise<{ code: StoredAuthorizationCode; firstUse: boolean } | undefined> {
  return transaction(pool, async (sql) => {
    const use = await useCode(sql, codeHash, now);
    if (use?.firstUse) {
      await insertGrant(sql, issued.grant);
      await insertTokens(sql, issued.tokens);
      await insertAudit(sql, issued.audit);
    }
    return use;
  });
}

export function redeemRefreshToken(
  pool: Pool,
  redeem: {
    tokenHash: string;
    now: number;
    successorHash: string;
    reuseGrace: number;
    tokens: readonly StoredToken[];
    audit: (firstUse: boolean, rotatedAt: number) => IssuanceEvent | undefined;
  },
): Promise<{ token: StoredToken; outcome: 'rotated' | 'within-grace' | 'replayed'; rotatedAt: number } | undefined> {
  return transaction(pool, async (sql) => {
    const found = await rotate(sql, redeem.tokenHash, redeem.now, redeem.successorHash);
    if (found?.row.kind !== 'refresh') return undefined;
    const { row, firstUse } = found;
    const rotatedAt = row.rotated_at ?? redeem.now;
    const outcome = firstUse ? 'rotated' : redeem.now - rotatedAt < redeem.reuseGrace ? 'within-grace' : 'replayed';
    if (outcome !== 'replayed') {
      await insertTokens(sql, redeem.tokens);
      const event = redeem.audit(firstUse, rotatedAt);
      if (event) await insertAudit(sql, event);
    }
    return { token: tokenOf(row), outcome, rotatedAt } as const;
  });
}

export function saveIssued(
  pool: Pool,
  issued: { grant?: StoredGrant | undefined; tokens: readonly StoredToken[]; audit?: IssuanceEvent | undefined },
): Promise<void> {
  return transaction(pool, async (sql) => {
    if (issued.grant) await insertGrant(sql, issued.grant);
    await insertTokens(sql, issued.tokens);
    if (issued.audit) await insertAudit(sql, issued.audit);
  });
}
