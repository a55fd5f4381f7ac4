import type { AuthenticationAttempt, AuthenticationLogRepository } from '../storage.js';
import { type Sql, rows } from './db.js';

interface Row {
  time: number;
  successful: boolean;
  banned: boolean;
  username: string;
  auth_type: string;
  remote_ip: string;
  request_uri: string;
  request_method: string;
}

const columns = 'time, successful, banned, username, auth_type, remote_ip, request_uri, request_method';

const attemptOf = (row: Row): AuthenticationAttempt => ({
  time: row.time,
  successful: row.successful,
  banned: row.banned,
  username: row.username,
  authType: row.auth_type,
  remoteIp: row.remote_ip,
  requestUri: row.request_uri,
  requestMethod: row.request_method,
});

/** Authentication attempts in `authentication_logs`. */
export class PostgresAuthLogRepository implements AuthenticationLogRepository {
  readonly #sql: Sql;

  constructor(sql: Sql) {
    this.#sql = sql;
  }

  async append(a: AuthenticationAttempt): Promise<void> {
    await this.#sql.query(`INSERT INTO authentication_logs (${columns}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, [
      a.time,
      a.successful,
      a.banned,
      a.username,
      a.authType,
      a.remoteIp,
      a.requestUri,
      a.requestMethod,
    ]);
  }

  async recentByUser(username: string, authType: string, since: number, limit: number): Promise<AuthenticationAttempt[]> {
    return this.#recent('username', username, authType, since, limit);
  }

  async recentByIp(remoteIp: string, authType: string, since: number, limit: number): Promise<AuthenticationAttempt[]> {
    return this.#recent('remote_ip', remoteIp, authType, since, limit);
  }

  async #recent(column: 'username' | 'remote_ip', value: string, authType: string, since: number, limit: number): Promise<AuthenticationAttempt[]> {
    const found = await rows<Row>(
      this.#sql,
      `SELECT ${columns} FROM authentication_logs
       WHERE ${column} = $1 AND auth_type = $2 AND time > $3 AND NOT banned
       ORDER BY time DESC, id DESC LIMIT $4`,
      [value, authType, since, limit],
    );
    return found.map(attemptOf);
  }
}
