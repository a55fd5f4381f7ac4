import { type PostgresStorageConfig, describePostgresAddress } from '../../config/storage.js';
import { StartupError } from '../../shared/errors.js';
import { codeAndText, unreachable, untrusted } from '../network-errors.js';

/**
 * A failed first connection as a StartupError (`GH_STORAGE_CONNECT`) naming the key to fix:
 * `storage.postgres.address` when the server cannot be reached, `.tls` when TLS fails,
 * `.username`/`.password` when the login is refused, `.database` when it does not exist.
 */
export function connectError(config: PostgresStorageConfig, error: unknown): StartupError {
  const at = `'${describePostgresAddress(config.address)}'`;
  const { code, text } = codeAndText(error);
  const fail = (key: string, message: string) => new StartupError('GH_STORAGE_CONNECT', `storage.postgres${key}: ${message}`, error);
  const reason = unreachable[code];
  if (reason) return fail('.address', `cannot connect to ${at}: ${reason} (${code})`);
  if (/timeout/i.test(text) && code === '') {
    return fail('.address', `cannot connect to ${at}: no answer within ${config.timeout / 1000} seconds (storage.postgres.timeout)`);
  }
  if (/does not support SSL/i.test(text))
    return fail('.tls', `the server at ${at} does not accept TLS connections; remove storage.postgres.tls or enable ssl on the server`);
  if (untrusted.test(code)) return fail('.tls', `the certificate of the server at ${at} is not trusted: ${text} (${code})`);
  if (code === '28P01') return fail('.password', `the server at ${at} refused the password of '${config.username}' (${code})`);
  if (code.startsWith('28')) return fail('.username', `the server at ${at} refused the login of '${config.username}': ${text} (${code})`);
  if (code === '3D000') return fail('.database', `the server at ${at} has no database '${config.database}' (${code})`);
  return fail('', `cannot connect to ${at}: ${text}${code ? ` (${code})` : ''}`);
}
