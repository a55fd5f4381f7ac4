/**
 * The OpenID Connect writes that must happen together, each in one transaction, written once for
 * the network SQL providers (PostgreSQL, MySQL/MariaDB): redeeming a code (single use across every
 * instance: the conditional UPDATE takes the row's lock, so a concurrent redemption waits, then
 * finds the code used and changes nothing), redeeming a refresh token (rotation, the same way),
 * and storing what one token request issued. A provider gives its transactions and the steps
 * whose SQL differs by dialect ({@link IssueSteps}).
 */
import type { IssuanceEvent, RefreshOutcome, RefreshRedemption, StoredAuthorizationCode, StoredGrant, StoredToken } from './oidc-repositories.js';
import { type TokenRow, auditColumns, auditValues, grantColumns, grantValues, refreshOutcome, tokenColumns, tokenOf, tokenValues } from './rows.js';

/** A code redeemed, or found redeemed before (`firstUse` false). */
export type CodeUse = { code: StoredAuthorizationCode; firstUse: boolean };

/** What a provider gives: `S` is what runs a statement inside one of its transactions. */
export interface IssueSteps<S> {
  /** Runs `work` in one transaction: committed when it returns, rolled back when it throws. */
  transaction<T>(work: (sql: S) => Promise<T>): Promise<T>;
  /** One INSERT of `rows` (each the values of `columns`, in order) into `table`. */
  insert(sql: S, table: string, columns: string, rows: readonly unknown[][]): Promise<void>;
  /** Marks the code used if it was not; the row either way (undefined: no such code). */
  useCode(sql: S, codeHash: string, now: number): Promise<CodeUse | undefined>;
  /** Marks a refresh token rotated if it was not, recording its successor; the row either way (undefined: no such token). */
  rotate(sql: S, tokenHash: string, now: number, successorHash: string | null): Promise<{ row: TokenRow; firstUse: boolean } | undefined>;
}

export function insertGrant<S>(steps: IssueSteps<S>, sql: S, g: StoredGrant): Promise<void> {
  return steps.insert(sql, 'oidc_grants', grantColumns, [grantValues(g)]);
}

/** One INSERT for every token of a request. */
export async function insertTokens<S>(steps: IssueSteps<S>, sql: S, tokens: readonly StoredToken[]): Promise<void> {
  if (tokens.length > 0) await steps.insert(sql, 'oidc_tokens', tokenColumns, tokens.map(tokenValues));
}

export function insertAudit<S>(steps: IssueSteps<S>, sql: S, e: IssuanceEvent): Promise<void> {
  return steps.insert(sql, 'oidc_issuance_log', auditColumns, [auditValues(e)]);
}

/** Redeems a code and, on its first use only, stores the grant, tokens and audit event it issued. */
export function redeemCode<S>(
  steps: IssueSteps<S>,
  codeHash: string,
  now: number,
  issued: { grant: StoredGrant; tokens: readonly StoredToken[]; audit: IssuanceEvent },
): Promise<CodeUse | undefined> {
  return steps.transaction(async (sql) => {
    const use = await steps.useCode(sql, codeHash, now);
    if (use?.firstUse) {
      await insertGrant(steps, sql, issued.grant);
      await insertTokens(steps, sql, issued.tokens);
      await insertAudit(steps, sql, issued.audit);
    }
    return use;
  });
}

/**
 * Rotates a refresh token and, unless the use is a replay, stores the tokens issued for it and
 * the audit event `audit` makes (none when it returns undefined).
 */
export function redeemRefreshToken<S>(steps: IssueSteps<S>, redeem: RefreshRedemption): Promise<RefreshOutcome | undefined> {
  return steps.transaction(async (sql) => {
    const found = await steps.rotate(sql, redeem.tokenHash, redeem.now, redeem.successorHash);
    if (found?.row.kind !== 'refresh') return undefined;
    const { row, firstUse } = found;
    const rotatedAt = row.rotated_at === null ? redeem.now : Number(row.rotated_at);
    const outcome = refreshOutcome(firstUse, rotatedAt, redeem.now, redeem.reuseGrace);
    if (outcome !== 'replayed') {
      await insertTokens(steps, sql, redeem.tokens);
      const event = redeem.audit(firstUse, rotatedAt);
      if (event) await insertAudit(steps, sql, event);
    }
    return { token: tokenOf(row), outcome, rotatedAt };
  });
}

/** Stores what one token request issued (a grant, its tokens, the audit event) together. */
export function saveIssued<S>(
  steps: IssueSteps<S>,
  issued: { grant?: StoredGrant | undefined; tokens: readonly StoredToken[]; audit?: IssuanceEvent | undefined },
): Promise<void> {
  return steps.transaction(async (sql) => {
    if (issued.grant) await insertGrant(steps, sql, issued.grant);
    await insertTokens(steps, sql, issued.tokens);
    if (issued.audit) await insertAudit(steps, sql, issued.audit);
  });
}
