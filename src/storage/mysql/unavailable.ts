import { conflictAttempts } from '../conflict.js';
import { network } from '../network-errors.js';

/** The configuration key named in errors, logs and `/api/health`. */
export const mysqlStore = 'storage.mysql';

/** mysql2's own codes and the server's errors saying it cannot serve now. */
const driverCodes: Readonly<Record<string, string>> = {
  PROTOCOL_CONNECTION_LOST: 'connection lost',
  PROTOCOL_ENQUEUE_AFTER_FATAL_ERROR: 'connection lost',
  PROTOCOL_ENQUEUE_AFTER_QUIT: 'connection lost',
  ER_SERVER_SHUTDOWN: 'the server is shutting down',
  ER_CON_COUNT_ERROR: 'too many connections',
  ER_TOO_MANY_USER_CONNECTIONS: 'too many connections',
  ER_CONNECTION_KILLED: 'the connection was killed',
  ER_QUERY_INTERRUPTED: 'the statement was interrupted',
  ER_CLIENT_INTERACTION_TIMEOUT: 'connection lost',
};

/**
 * Why `error` — from mysql2 — means that MySQL/MariaDB cannot answer now, in a few words without
 * the address, or undefined when it is another failure (a constraint, a bug: those stay what they
 * are). Connection failures, lost connections, the server shutting down, a statement or a
 * row lock not answered within `timeout` ms, and a deadlock still lost after the retries count.
 */
export function mysqlUnavailability(error: unknown, timeout: number): string | undefined {
  const e = error as { code?: unknown; message?: unknown; errors?: unknown } | undefined;
  const code = typeof e?.code === 'string' ? e.code : '';
  const message = typeof e?.message === 'string' ? e.message : '';
  const late = `no answer within ${timeout / 1000} s (storage.mysql.timeout)`;
  if (code === 'PROTOCOL_SEQUENCE_TIMEOUT' || code === 'ER_LOCK_WAIT_TIMEOUT' || code === 'ER_STATEMENT_TIMEOUT') return late;
  if (code === 'ETIMEDOUT') return `${late} (ETIMEDOUT)`;
  if (code === 'ER_LOCK_DEADLOCK') return `a deadlock with other instances' writes, ${conflictAttempts} tries (ER_LOCK_DEADLOCK)`;
  const reason = network[code] ?? driverCodes[code];
  if (reason !== undefined) return `${reason} (${code})`;
  if (/closed state|Connection lost/i.test(message)) return 'connection lost';
  if (Array.isArray(e?.errors)) {
    for (const inner of e.errors) {
      const found = mysqlUnavailability(inner, timeout);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}
