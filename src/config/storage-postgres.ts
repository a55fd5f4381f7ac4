import { isIP } from 'node:net';
import { basename, dirname } from 'node:path';
import { defaults } from './defaults.js';
import { describe, keyPath } from './problems.js';
import { type ReadContext, readDuration, readMapping, readSecret, readString } from './reader.js';
import { type TlsClientConfig, readTlsClient } from './tls-client.js';

/** Where the PostgreSQL server listens: a TCP host and port, or the folder of its unix socket (and the port naming the socket file). */
export type PostgresAddress =
  | { readonly kind: 'tcp'; readonly host: string; readonly port: number }
  | { readonly kind: 'unix'; readonly folder: string; readonly port: number };

/** `storage.postgres`, with Authelia's keys and defaults. */
export interface PostgresStorageConfig {
  readonly address: PostgresAddress;
  readonly database: string;
  /** Where Gatehouse's tables live; created when missing. */
  readonly schema: string;
  readonly username: string;
  /** Undefined when the server does not ask for one (trust, peer or certificate authentication). */
  readonly password: string | undefined;
  /** Milliseconds: for connecting, and for each statement. */
  readonly timeout: number;
  /** Present: the connection is TLS (trust: Node.js's CA list and NODE_EXTRA_CA_CERTS). */
  readonly tls: TlsClientConfig | undefined;
}

const keys = ['address', 'database', 'schema', 'username', 'password', 'timeout', 'tls'];

/** Reads `storage.postgres`; undefined when a required part is missing or wrong (reported). */
export function readPostgres(ctx: ReadContext, path: string, value: unknown): PostgresStorageConfig | undefined {
  const raw = readMapping(ctx, path, value, keys);
  if (!raw) return undefined;
  const d = defaults.storage.postgres;
  const address = readAddress(ctx, keyPath(path, 'address'), raw.address);
  const database = readString(ctx, keyPath(path, 'database'), raw.database, { required: true });
  const schema = readSchema(ctx, keyPath(path, 'schema'), raw.schema);
  const username = readString(ctx, keyPath(path, 'username'), raw.username, { required: true });
  const password = readSecret(ctx, keyPath(path, 'password'), raw.password);
  const timeout = readDuration(ctx, keyPath(path, 'timeout'), raw.timeout, d.timeout, { min: 1000 });
  const tls = readTls(ctx, keyPath(path, 'tls'), raw.tls, address);
  if (!address || database === undefined || schema === undefined || username === undefined || tls === false) return undefined;
  return { address, database, schema, username, password, timeout, tls };
}

/** `tcp://db.example.com:5432`, `unix:///run/postgresql` … as messages show an address. */
export function describePostgresAddress(address: PostgresAddress): string {
  if (address.kind === 'unix') {
    return address.port === defaults.storage.postgres.port ? `unix://${address.folder}` : `unix://${address.folder}/.s.PGSQL.${address.port}`;
  }
  return `tcp://${isIP(address.host) === 6 ? `[${address.host}]` : address.host}:${address.port}`;
}

/**
 * `tcp://HOST:PORT`, `tcp://HOST` (port 5432), `tcp://[::1]:PORT`, or `unix:///FOLDER` (the folder
 * holding the server's socket) or `unix:///FOLDER/.s.PGSQL.PORT` (the socket itself).
 */
function readAddress(ctx: ReadContext, path: string, value: unknown): PostgresAddress | undefined {
  const text = readString(ctx, path, value, { required: true });
  if (text === undefined) return undefined;
  const address = parseAddress(text.trim());
  if (!address) {
    ctx.problems.error(path, `must be 'tcp://HOST:PORT', 'tcp://HOST' or 'unix:///SOCKET-FOLDER' but is ${describe(value)}`);
  }
  return address;
}

function parseAddress(text: string): PostgresAddress | undefined {
  const port = defaults.storage.postgres.port;
  if (text.startsWith('unix://')) {
    const path = text.slice('unix://'.length).replace(/(.)\/+$/, '$1');
    if (!path.startsWith('/')) return undefined;
    const socket = /^\.s\.PGSQL\.(\d{1,5})$/.exec(basename(path));
    return socket ? { kind: 'unix', folder: dirname(path), port: Number(socket[1]) } : { kind: 'unix', folder: path, port };
  }
  const match = /^tcp:\/\/(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)(?::(\d{1,5}))?\/?$/.exec(text);
  if (!match) return undefined;
  const host = match[1]!.replace(/^\[|\]$/g, '');
  if (match[1]!.startsWith('[') && isIP(host) !== 6) return undefined;
  const chosen = match[2] === undefined ? port : Number(match[2]);
  return chosen >= 1 && chosen <= 65_535 ? { kind: 'tcp', host, port: chosen } : undefined;
}

/** A plain lower-case SQL name, so that it needs no quoting anywhere (search_path, messages). */
function readSchema(ctx: ReadContext, path: string, value: unknown): string | undefined {
  if (value === undefined || value === null) return defaults.storage.postgres.schema;
  const schema = readString(ctx, path, value, { required: true });
  if (schema === undefined) return undefined;
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema) || schema.startsWith('pg_')) {
    ctx.problems.error(
      path,
      `must be a lower-case name of letters a-z, digits and '_' (at most 63, not starting with a digit or 'pg_') but is ${describe(schema)}`,
    );
    return undefined;
  }
  return schema;
}

/** Authelia's `tls` structure (config/tls-client.ts); undefined: no TLS; false: refused (reported). */
function readTls(ctx: ReadContext, path: string, value: unknown, address: PostgresAddress | undefined): TlsClientConfig | undefined | false {
  if (value === undefined || value === null) return undefined;
  if (address?.kind === 'unix') {
    ctx.problems.error(path, 'must not be set with a unix socket address (PostgreSQL does not use TLS over a unix socket)');
    return false;
  }
  return readTlsClient(ctx, path, value, address?.host) ?? false;
}
