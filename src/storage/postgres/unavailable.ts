import { conflictAttempts } from '../conflict.js';
import { network } from '../network-errors.js';

/** The configuration key named in errors, logs and `/api/health`. */
export const postgresStore = 'storage.postgres';

/** SQLSTATEs (PostgreSQL manual, appendix A) saying the server cannot serve now; 57014 is handled apart. */
const serverStates: Readonly<Record<string, string>> = {
  '57P01': 'the server is shutting down',
  '57P02': 'the server crashed',
  '57P03': 'the server is starting up or recovering',
  '53300': 'too many connections',
};

/**
 * Why `error` — from pg or pg-pool — means that PostgreSQL cannot answer now, in a few words
 * without the address, or undefined when it is another failure (a constraint, a bug: those
 * stay what they are). Connection failures, lost connections, the server shutting down, the
 * pool finding no connection, a statement cut by `statement_timeout` (57014, `timeout` ms) and a
 * deadlock (or serialization failure) still lost after the retries count.
 */
export function unavailability(error: unknown, timeout: number): string | undefined {
  const e = error as { code?: unknown; message?: unknown; errors?: unknown } | undefined;
  const code = typeof e?.code === 'string' ? e.code : '';
  const message = typeof e?.message === 'string' ? e.message : '';
  const late = `no answer within ${timeout / 1000} s (storage.postgres.timeout)`;
  const reason = network[code] ?? serverStates[code];
  if (reason !== undefined) return `${reason} (${code})`;
  if (code.startsWith('08')) return `connection failure (${code})`;
  if (code === '40P01' || code === '40001') return `a conflict with other instances' writes, ${conflictAttempts} tries (${code})`;
  if (code === '57014') return /statement timeout/i.test(message) ? late : `statement cancelled (${code})`;
  if (/^Connection terminated due to connection timeout/.test(message) || /^Query read timeout/.test(message)) return late;
  if (/^Connection terminated/.test(message) || /not queryable/.test(message)) return 'connection lost';
  if (/^timeout exceeded when trying to connect/.test(message)) return `no free connection within ${timeout / 1000} s (storage.postgres.timeout)`;
  // Several addresses tried at once (a name with IPv4 and IPv6): Node.js reports them together.
  if (Array.isArray(e?.errors)) {
    for (const inner of e.errors) {
      const found = unavailability(inner, timeout);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}
