/**
 * The OpenID Connect writes that must happen together, each in one transaction: redeeming a code
 * (single use across every instance: the conditional UPDATE takes the row's lock, so a concurrent
 * redemption waits, then finds the code used and changes nothing) and a refresh token (rotation,
 * the same way), and storing what one token request issued.
 */
import type { IssuanceEvent, StoredAuthorizationCode, StoredGrant, StoredToken } from '../oidc-repositories.js';
import { type CodeRow, type TokenRow, codeOf, tokenOf } from '../rows.js';
import { type Db, type Sql, changes, first, run, transaction, valuesList } from './db.js';

const tokenColumns = 'token_hash, kind, grant_id, client_id, username, subject, scopes, issued_at, expires_at, revoked_at, format, audience';

export async function insertGrant(sql: Sql, g: StoredGrant): Promise<void> {
  await run(
    sql,
    `INSERT INTO oidc_grants (grant_id, client_id, username, subject, scopes, data, created_at, expires_at, revoked_at, sid)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
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
  await run(sql, `INSERT INTO oidc_tokens (${tokenColumns}) VALUES ${valuesList(tokens.length, 12)}`, values);
}

export async function insertAudit(sql: Sql, e: IssuanceEvent): Promise<void> {
  await run(sql, 'INSERT INTO oidc_issuance_log (time, event, client_id, username, grant_id, detail) VALUES (?, ?, ?, ?, ?, ?)', [
    e.time,
    e.event,
    e.clientId,
    e.username,
    e.grantId,
    e.detail,
  ]);
}

/** Marks the code used if it was not; the row either way (undefined: no such code). Run inside a transaction. */
async function useCode(sql: Sql, codeHash: string, now: number): Promise<{ code: StoredAuthorizationCode; firstUse: boolean } | undefined> {
  const used = await changes(sql, 'UPDATE oidc_authorization_codes SET consumed_at = ? WHERE code_hash = ? AND consumed_at IS NULL', [now, codeHash]);
  const row = await first<CodeRow>(sql, 'SELECT * FROM oidc_authorization_codes WHERE code_hash = ?', [codeHash]);
  return row && { code: codeOf(row), firstUse: used === 1 };
}

/** Marks a refresh token rotated if it was not, recording its successor; the row either way (undefined: no such token). Run inside a transaction. */
async function rotateIn(sql: Sql, tokenHash: string, now: number, successorHash: string | null): Promise<{ row: TokenRow; firstUse: boolean } | undefined> {
  const rotated = await changes(
    sql,
    "UPDATE oidc_tokens SET rotated_at = ?, successor_hash = ? WHERE token_hash = ? AND kind = 'refresh' AND rotated_at IS NULL",
    [now, successorHash, tokenHash],
  );
  const row = await first<TokenRow>(sql, 'SELECT * FROM oidc_tokens WHERE token_hash = ?', [tokenHash]);
  return row && { row, firstUse: rotated === 1 };
}

export function consumeCode(db: Db, codeHash: string, now: number): Promise<{ code: StoredAuthorizationCode; firstUse: boolean } | undefined> {
  return transaction(db, (sql) => useCode(sql, codeHash, now));
}

export function rotate(db: Db, tokenHash: string, now: number, successorHash: string | null): Promise<{ row: TokenRow; firstUse: boolean } | undefined> {
  return transaction(db, (sql) => rotateIn(sql, tokenHash, now, successorHash));
}

export function redeemCode(
  db: Db,
  codeHash: string,
  now: number,
  issued: { grant: StoredGrant; tokens: readonly StoredToken[]; audit: IssuanceEvent },
): Promise<{ code: StoredAuthorizationCode; firstUse: boolean } | undefined> {
  return transaction(db, async (sql) => {
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
  db: Db,
  redeem: {
    tokenHash: string;
    now: number;
    successorHash: string;
    reuseGrace: number;
    tokens: readonly StoredToken[];
    audit: (firstUse: boolean, rotatedAt: number) => IssuanceEvent | undefined;
  },
): Promise<{ token: StoredToken; outcome: 'rotated' | 'within-grace' | 'replayed'; rotatedAt: number } | undefined> {
  return transaction(db, async (sql) => {
    const found = await rotateIn(sql, redeem.tokenHash, redeem.now, redeem.successorHash);
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
  db: Db,
  issued: { grant?: StoredGrant | undefined; tokens: readonly StoredToken[]; audit?: IssuanceEvent | undefined },
): Promise<void> {
  return transaction(db, async (sql) => {
    if (issued.grant) await insertGrant(sql, issued.grant);
    await insertTokens(sql, issued.tokens);
    if (issued.audit) await insertAudit(sql, issued.audit);
  });
}
