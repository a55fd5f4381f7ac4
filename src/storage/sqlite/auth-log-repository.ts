import type { Database, Statement } from 'better-sqlite3';
import type { AuthenticationAttempt, AuthenticationLogRepository } from '../storage.js';

interface Row {
  time: number;
  successful: number;
  banned: number;
  username: string;
  auth_type: string;
  remote_ip: string;
  request_uri: string;
  request_method: string;
}

const columns = 'time, successful, banned, username, auth_type, remote_ip, request_uri, request_method';

/** Authentication attempts in `authentication_logs`. */
export class SqliteAuthLogRepository implements AuthenticationLogRepository {
  readonly #append: Statement<[number, number, number, string, string, string, string, string]>;
  readonly #byUser: Statement<[string, string, number, number], Row>;
  readonly #byIp: Statement<[string, string, number, number], Row>;

  constructor(db: Database) {
    this.#append = db.prepare(`INSERT INTO authentication_logs (${columns}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`);
    const recent = (column: string) =>
      db.prepare<[string, string, number, number], Row>(
        `SELECT ${columns} FROM authentication_logs
         WHERE ${column} = ? AND auth_type = ? AND time > ? AND banned = 0
         ORDER BY time DESC, id DESC LIMIT ?`,
      );
    this.#byUser = recent('username');
    this.#byIp = recent('remote_ip');
  }

  async append(a: AuthenticationAttempt): Promise<void> {
    this.#append.run(a.time, a.successful ? 1 : 0, a.banned ? 1 : 0, a.username, a.authType, a.remoteIp, a.requestUri, a.requestMethod);
  }

  async recentByUser(username: string, authType: string, since: number, limit: number): Promise<AuthenticationAttempt[]> {
    return this.#byUser.all(username, authType, since, limit).map(toAttempt);
  }

  async recentByIp(remoteIp: string, authType: string, since: number, limit: number): Promise<AuthenticationAttempt[]> {
    return this.#byIp.all(remoteIp, authType, since, limit).map(toAttempt);
  }
}

function toAttempt(row: Row): AuthenticationAttempt {
  return {
    time: row.time,
    successful: row.successful === 1,
    banned: row.banned === 1,
    username: row.username,
    authType: row.auth_type,
    remoteIp: row.remote_ip,
    requestUri: row.request_uri,
    requestMethod: row.request_method,
  };
}
