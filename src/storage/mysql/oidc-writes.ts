/**
 * MySQL's steps of the OpenID Connect writes that happen together (../oidc-issue.ts): MySQL has
 * no UPDATE … RETURNING, so a code is marked used (a refresh token rotated) by a conditional
 * UPDATE whose matched-row count says whether this transaction did it, then read back.
 */
import type { CodeUse, IssueSteps } from '../oidc-issue.js';
import { type CodeRow, type TokenRow, codeOf } from '../rows.js';
import { type Db, type Sql, changes, first, run, transaction, valuesList } from './db.js';

/** Marks the code used if it was not; the row either way (undefined: no such code). Run inside a transaction. */
async function useCode(sql: Sql, codeHash: string, now: number): Promise<CodeUse | undefined> {
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

export function consumeCode(db: Db, codeHash: string, now: number): Promise<CodeUse | undefined> {
  return transaction(db, (sql) => useCode(sql, codeHash, now));
}

export function rotate(db: Db, tokenHash: string, now: number, successorHash: string | null): Promise<{ row: TokenRow; firstUse: boolean } | undefined> {
  return transaction(db, (sql) => rotateIn(sql, tokenHash, now, successorHash));
}

/** The steps on `db`: its transactions, multi-row INSERTs, and the two conditional updates above. */
export function issueSteps(db: Db): IssueSteps<Sql> {
  return {
    transaction: (work) => transaction(db, work),
    insert: async (sql, table, columns, rows) => {
      await run(sql, `INSERT INTO ${table} (${columns}) VALUES ${valuesList(rows.length, rows[0]!.length)}`, rows.flat());
    },
    useCode,
    rotate: rotateIn,
  };
}
