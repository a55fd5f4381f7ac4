import { totpSecretContext } from '../rows.js';
import type { ColumnCipher, TotpConfiguration, TotpRepository } from '../storage.js';
import { type Sql, changes, first } from './db.js';

interface Row {
  username: string;
  issuer: string;
  algorithm: TotpConfiguration['algorithm'];
  digits: number;
  period: number;
  secret: Buffer;
  created_at: number;
  last_used_at: number | null;
}

/** TOTP keys in `totp_configurations` (secret encrypted) and used steps in `totp_history`. */
export class PostgresTotpRepository implements TotpRepository {
  readonly #sql: Sql;
  readonly #cipher: ColumnCipher;

  constructor(sql: Sql, cipher: ColumnCipher) {
    this.#sql = sql;
    this.#cipher = cipher;
  }

  async get(username: string): Promise<TotpConfiguration | undefined> {
    const row = await first<Row>(
      this.#sql,
      'SELECT username, issuer, algorithm, digits, period, secret, created_at, last_used_at FROM totp_configurations WHERE username = $1',
      [username],
    );
    if (!row) return undefined;
    return {
      username: row.username,
      issuer: row.issuer,
      algorithm: row.algorithm,
      digits: row.digits,
      period: row.period,
      secret: this.#cipher.decrypt(row.secret, totpSecretContext(row.username)),
      createdAt: row.created_at,
      lastUsedAt: row.last_used_at ?? undefined,
    };
  }

  async save(c: TotpConfiguration): Promise<void> {
    const secret = this.#cipher.encrypt(c.secret, totpSecretContext(c.username));
    await this.#sql.query(
      `INSERT INTO totp_configurations (created_at, last_used_at, username, issuer, algorithm, digits, period, secret)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       ON CONFLICT (username) DO UPDATE SET created_at = EXCLUDED.created_at, last_used_at = EXCLUDED.last_used_at, issuer = EXCLUDED.issuer,
         algorithm = EXCLUDED.algorithm, digits = EXCLUDED.digits, period = EXCLUDED.period, secret = EXCLUDED.secret`,
      [c.createdAt, c.lastUsedAt ?? null, c.username, c.issuer, c.algorithm, c.digits, c.period, secret],
    );
  }

  async delete(username: string): Promise<boolean> {
    return (await changes(this.#sql, 'DELETE FROM totp_configurations WHERE username = $1', [username])) > 0;
  }

  async markUsed(username: string, time: number): Promise<void> {
    await this.#sql.query('UPDATE totp_configurations SET last_used_at = $1 WHERE username = $2', [time, username]);
  }

  async recordStep(username: string, step: number, time: number): Promise<boolean> {
    const inserted = await changes(this.#sql, 'INSERT INTO totp_history (username, step, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [
      username,
      step,
      time,
    ]);
    return inserted === 1;
  }

  purgeHistory(before: number): Promise<number> {
    return changes(this.#sql, 'DELETE FROM totp_history WHERE created_at < $1', [before]);
  }
}
