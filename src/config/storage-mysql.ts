import { isIP } from 'node:net';
import { defaults } from './defaults.js';
import { describe, keyPath } from './problems.js';
import { type ReadContext, readDuration, readMapping, readSecret, readString } from './reader.js';
import { type TlsClientConfig, readTlsClient } from './tls-client.js';

/** Where the MySQL or MariaDB server listens: a TCP host and port, or its unix socket file. */
export type MysqlAddress = { readonly kind: 'tcp'; readonly host: string; readonly port: number } | { readonly kind: 'unix'; readonly path: string };

/** `storage.mysql` (MySQL or MariaDB), with Authelia's keys and defaults. */
export interface MysqlStorageConfig {
  readonly address: MysqlAddress;
  /** The database holding Gatehouse's tables (created by the administrator; Gatehouse creates the tables). */
  readonly database: string;
  readonly username: string;
  /** Undefined when the account has none (or authenticates by the unix socket). */
  readonly password: string | undefined;
  /** Milliseconds: for connecting, and for each statement. */
  readonly timeout: number;
  /** Present: the connection is TLS (trust: Node.js's CA list, `certificates_directory` and NODE_EXTRA_CA_CERTS). */
  readonly tls: TlsClientConfig | undefined;
}

const keys = ['address', 'database', 'username', 'password', 'timeout', 'tls'];

/** Reads `storage.mysql`; undefined when a required part is missing or wrong (reported). */
export function readMysql(ctx: ReadContext, path: string, value: unknown): MysqlStorageConfig | undefined {
  const raw = readMapping(ctx, path, value, keys);
  if (!raw) return undefined;
  const address = readAddress(ctx, keyPath(path, 'address'), raw.address);
  const database = readString(ctx, keyPath(path, 'database'), raw.database, { required: true });
  const username = readString(ctx, keyPath(path, 'username'), raw.username, { required: true });
  const password = readSecret(ctx, keyPath(path, 'password'), raw.password);
  const timeout = readDuration(ctx, keyPath(path, 'timeout'), raw.timeout, defaults.storage.mysql.timeout, { min: 1000 });
  const tls = readTls(ctx, keyPath(path, 'tls'), raw.tls, address);
  if (!address || database === undefined || username === undefined || tls === false) return undefined;
  return { address, database, username, password, timeout, tls };
}

/** `tcp://db.example.com:3306`, `unix:///run/mysqld/mysqld.sock` … as messages show an address. */
export function describeMysqlAddress(address: MysqlAddress): string {
  if (address.kind === 'unix') return `unix://${address.path}`;
  return `tcp://${isIP(address.host) === 6 ? `[${address.host}]` : address.host}:${address.port}`;
}

/** `tcp://HOST:PORT`, `tcp://HOST` (port 3306), `tcp://[::1]:PORT`, or `unix:///PATH/TO/mysqld.sock` (the socket file). */
function readAddress(ctx: ReadContext, path: string, value: unknown): MysqlAddress | undefined {
  const text = readString(ctx, path, value, { required: true });
  if (text === undefined) return undefined;
  const address = parseAddress(text.trim());
  if (!address) ctx.problems.error(path, `must be 'tcp://HOST:PORT', 'tcp://HOST' or 'unix:///PATH/TO/SOCKET' but is ${describe(value)}`);
  return address;
}

function parseAddress(text: string): MysqlAddress | undefined {
  if (text.startsWith('unix://')) {
    const path = text.slice('unix://'.length);
    return path.startsWith('/') && !path.endsWith('/') ? { kind: 'unix', path } : undefined;
  }
  const match = /^tcp[46]?:\/\/(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)(?::(\d{1,5}))?\/?$/.exec(text);
  if (!match) return undefined;
  const host = match[1]!.replace(/^\[|\]$/g, '');
  if (match[1]!.startsWith('[') && isIP(host) !== 6) return undefined;
  const port = match[2] === undefined ? defaults.storage.mysql.port : Number(match[2]);
  return port >= 1 && port <= 65_535 ? { kind: 'tcp', host, port } : undefined;
}

/** Authelia's `tls` structure (config/tls-client.ts); undefined: no TLS; false: refused (reported). */
function readTls(ctx: ReadContext, path: string, value: unknown, address: MysqlAddress | undefined): TlsClientConfig | undefined | false {
  if (value === undefined || value === null) return undefined;
  if (address?.kind === 'unix') {
    ctx.problems.error(path, 'must not be set with a unix socket address (the connection does not leave the machine)');
    return false;
  }
  const host = address?.kind === 'tcp' ? address.host : undefined;
  const tls = readTlsClient(ctx, path, value, host);
  if (tls && host !== undefined && tls.serverName !== host) {
    // mysql2 checks the certificate against the host it connects to and has no other name to give.
    ctx.problems.error(
      keyPath(path, 'server_name'),
      `must be the address's host '${host}' (the certificate is checked against it) but is ${describe(tls.serverName)}`,
    );
    return false;
  }
  return tls ?? false;
}
