import type { Database, Statement } from 'better-sqlite3';
import { totpSecretContext } from '../rows.js';
import type { ColumnCipher, TotpConfiguration, TotpRepository } from '../storage.js';

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
export class SqliteTotpRepository implements TotpRepository {
  readonly #cipher: ColumnCipher;
  readonly #get: Statement<[string], Row>;
  readonly #save: Statement<[number, number | null, string, string, string, number, number, Buffer]>;
  readonly #delete: Statement<[string]>;
  readonly #markUsed: Statement<[number, string]>;
  readonly #recordStep: Statement<[string, number, number]>;
  readonly #purge: Statement<[number]>;

  constructor(db: Database, cipher: ColumnCipher) {
    this.#cipher = cipher;
    this.#get = db.prepare(
      `SELECT username, issuer, algorithm, digits, period, secret, created_at, last_used_at
       FROM totp_configurations WHERE username = ?`,
    );
    this.#save = db.prepare(
      `INSERT OR REPLACE INTO totp_configurations
       (created_at, last_used_at, username, issuer, algorithm, digits, period, secret) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.#delete = db.prepare('DELETE FROM totp_configurations WHERE username = ?');
    this.#markUsed = db.prepare('UPDATE totp_configurations SET last_used_at = ? WHERE username = ?');
    this.#recordStep = db.prepare('INSERT OR IGNORE INTO totp_history (username, step, created_at) VALUES (?, ?, ?)');
    this.#purge = db.prepare('DELETE FROM totp_history WHERE created_at < ?');
  }

  async get(username: string): Promise<TotpConfiguration | undefined> {
    const row = this.#get.get(username);
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
    this.#save.run(c.createdAt, c.lastUsedAt ?? null, c.username, c.issuer, c.algorithm, c.digits, c.period, secret);
  }

  async delete(username: string): Promise<boolean> {
    return this.#delete.run(username).changes > 0;
  }

  async markUsed(username: string, time: number): Promise<void> {
    this.#markUsed.run(time, username);
  }

  async recordStep(username: string, step: number, time: number): Promise<boolean> {
    return this.#recordStep.run(username, step, time).changes === 1;
  }

  async purgeHistory(before: number): Promise<number> {
    return this.#purge.run(before).changes;
  }
}
