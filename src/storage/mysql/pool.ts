import type { ConnectionOptions as TlsOptions } from 'node:tls';
import type { ConnectionOptions, PoolOptions, SslOptions } from 'mysql2/promise';
import { defaults } from '../../config/defaults.js';
import type { MysqlStorageConfig } from '../../config/storage.js';
import type { TlsClientConfig } from '../../config/tls-client.js';

/**
 * What every connection runs once opened: READ COMMITTED (as PostgreSQL: each statement sees what
 * is committed; a conditional UPDATE waits for a row another transaction holds, then re-checks
 * it), row-lock waits bounded by `timeout`, and a known SQL mode whatever the server's default:
 * strict (a value that does not fit is an error, never silently cut), no engine substitution
 * (InnoDB or an error), and without NO_BACKSLASH_ESCAPES or ANSI_QUOTES, which would change how
 * the driver's escaped values and Gatehouse's quoted names read.
 */
export function sessionSetup(config: MysqlStorageConfig): string[] {
  const lockWait = Math.max(1, Math.ceil(config.timeout / 1000));
  return [
    'SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED',
    `SET SESSION innodb_lock_wait_timeout = ${lockWait}, sql_mode = 'STRICT_TRANS_TABLES,NO_ENGINE_SUBSTITUTION'`,
  ];
}

/**
 * The connection settings for `storage.mysql`: the address (TCP or the unix socket), `timeout`
 * to connect, TLS when configured, utf8mb4, BIGINT read as numbers (every value Gatehouse stores
 * fits in 2^53).
 */
export function connectionConfig(config: MysqlStorageConfig): ConnectionOptions {
  const { address, tls } = config;
  return {
    ...(address.kind === 'tcp' ? { host: address.host, port: address.port } : { socketPath: address.path }),
    user: config.username,
    ...(config.password === undefined ? {} : { password: config.password }),
    database: config.database,
    connectTimeout: config.timeout,
    charset: 'utf8mb4_general_ci',
    supportBigNumbers: false,
    enableKeepAlive: true,
    ...(tls ? { ssl: sslOptions(tls) } : {}),
  };
}

/** The pool's settings: at most `maxConnections` connections, callers queued while all are busy. */
export function poolConfig(config: MysqlStorageConfig): PoolOptions {
  return {
    ...connectionConfig(config),
    connectionLimit: defaults.storage.mysql.maxConnections,
    maxIdle: defaults.storage.mysql.maxConnections,
    idleTimeout: 30_000,
    waitForConnections: true,
    queueLimit: 0,
  };
}

/**
 * mysql2's TLS options for Authelia's `tls` structure. mysql2 checks the certificate against the
 * address host (server_name must be that host, config/storage-mysql.ts).
 */
function sslOptions(tls: TlsClientConfig): SslOptions {
  const options: SslOptions & Pick<TlsOptions, 'minVersion' | 'maxVersion'> = {
    rejectUnauthorized: !tls.skipVerify,
    verifyIdentity: !tls.skipVerify,
    minVersion: tls.minimumVersion,
    maxVersion: tls.maximumVersion,
    ...(tls.certificateChain === undefined ? {} : { cert: tls.certificateChain, key: tls.privateKey }),
    ...(tls.ca ? { ca: [...tls.ca] } : {}),
  };
  return options;
}
