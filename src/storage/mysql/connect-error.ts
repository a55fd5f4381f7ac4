import { type MysqlStorageConfig, describeMysqlAddress } from '../../config/storage.js';
import { StartupError } from '../../shared/errors.js';
import { codeAndText, unreachable, untrusted } from '../network-errors.js';

/**
 * A failed first connection as a StartupError (`GH_STORAGE_CONNECT`) naming the key to fix:
 * `storage.mysql.address` when the server cannot be reached, `.tls` when TLS fails,
 * `.username`/`.password` when the login is refused, `.database` when it does not exist or the
 * account may not use it.
 */
export function connectError(config: MysqlStorageConfig, error: unknown): StartupError {
  const at = `'${describeMysqlAddress(config.address)}'`;
  const { code, text } = codeAndText(error);
  const fail = (key: string, message: string) => new StartupError('GH_STORAGE_CONNECT', `storage.mysql${key}: ${message}`, error);
  const reason = unreachable[code];
  if (code === 'ETIMEDOUT' || (code === '' && /timeout/i.test(text))) {
    return fail('.address', `cannot connect to ${at}: no answer within ${config.timeout / 1000} seconds (storage.mysql.timeout)`);
  }
  if (reason) return fail('.address', `cannot connect to ${at}: ${reason} (${code})`);
  if (code === 'HANDSHAKE_NO_SSL_SUPPORT') {
    return fail('.tls', `the server at ${at} does not accept TLS connections; remove storage.mysql.tls or enable TLS on the server`);
  }
  if (untrusted.test(code)) return fail('.tls', `the certificate of the server at ${at} is not trusted: ${text} (${code})`);
  if (code === 'ER_ACCESS_DENIED_ERROR') {
    const key = config.password === undefined ? '.username' : '.password';
    return fail(key, `the server at ${at} refused the login of '${config.username}' (wrong username or password) (${code})`);
  }
  if (code === 'ER_BAD_DB_ERROR') return fail('.database', `the server at ${at} has no database '${config.database}' (${code})`);
  if (code === 'ER_DBACCESS_DENIED_ERROR') {
    return fail('.database', `the server at ${at} does not let '${config.username}' use the database '${config.database}' (${code})`);
  }
  return fail('', `cannot connect to ${at}: ${text}${code ? ` (${code})` : ''}`);
}
