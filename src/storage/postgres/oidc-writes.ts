/**
 * PostgreSQL's steps of the OpenID Connect writes that happen together (../oidc-issue.ts): a
 * conditional UPDATE … RETURNING marks a code used, or a refresh token rotated, in one statement.
 */
import type { Pool } from 'pg';
import type { CodeUse, IssueSteps } from '../oidc-issue.js';
import { type CodeRow, type TokenRow, codeOf } from '../rows.js';
import { type Sql, first, transaction, valuesList } from './db.js';

/** Marks the code used if it was not; the row either way (undefined: no such code). One statement when it was not. */
export async function useCode(sql: Sql, codeHash: string, now: number): Promise<CodeUse | undefined> {
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

/** The steps on `pool`: its transactions, multi-row INSERTs with numbered placeholders, {@link useCode} and {@link rotate}. */
export function issueSteps(pool: Pool): IssueSteps<Sql> {
  return {
    transaction: (work) => transaction(pool, work),
    insert: async (sql, table, columns, rows) => {
      await sql.query(`INSERT INTO ${table} (${columns}) VALUES ${valuesList(rows.length, rows[0]!.length)}`, rows.flat());
    },
    useCode,
    rotate,
  };
}
