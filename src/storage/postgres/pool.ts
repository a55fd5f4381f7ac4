import { type ConnectionOptions, type PeerCertificate, checkServerIdentity } from 'node:tls';
import pg, { type CustomTypesConfig, type PoolConfig } from 'pg';
import { defaults } from '../../config/defaults.js';
import type { PostgresStorageConfig } from '../../config/storage.js';
import type { TlsClientConfig } from '../../config/tls-client.js';

/** BIGINT columns (times in ms, ids, counts) read as numbers: every value Gatehouse stores fits in 2^53. */
const int8 = 20;
const parseInt8 = (text: string) => Number(text);
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === int8 && format !== 'binary' ? parseInt8 : pg.types.getTypeParser(oid, format)) as CustomTypesConfig['getTypeParser'],
};

/**
 * The pool's settings for `storage.postgres`: at most `maxConnections` connections, `timeout`
 * both to connect and as each statement's `statement_timeout`, `search_path` set to the schema
 * when each connection starts (so every statement finds Gatehouse's tables), TLS when configured.
 */
export function poolConfig(config: PostgresStorageConfig): PoolConfig {
  const { address, tls } = config;
  return {
    host: address.kind === 'tcp' ? address.host : address.folder,
    port: address.port,
    database: config.database,
    user: config.username,
    password: config.password,
    max: defaults.storage.postgres.maxConnections,
    idleTimeoutMillis: 30_000,
    connectionTimeoutMillis: config.timeout,
    statement_timeout: config.timeout,
    keepAlive: true,
    application_name: 'gatehouse',
    options: `-c search_path=${config.schema}`,
    types,
    ssl: tls && tlsOptions(tls),
  };
}

/** node:tls options for Authelia's `tls` structure. */
function tlsOptions(tls: TlsClientConfig): ConnectionOptions {
  const { serverName } = tls;
  return {
    rejectUnauthorized: !tls.skipVerify,
    minVersion: tls.minimumVersion,
    maxVersion: tls.maximumVersion,
    // pg sends the address host as SNI (never an IP address); the certificate is checked against server_name.
    ...(serverName === undefined ? {} : { checkServerIdentity: (_host: string, cert: PeerCertificate) => checkServerIdentity(serverName, cert) }),
    ...(tls.certificateChain === undefined ? {} : { cert: tls.certificateChain, key: tls.privateKey }),
    ...(tls.ca ? { ca: [...tls.ca] } : {}),
  };
}
