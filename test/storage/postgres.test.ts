import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { type Socket, connect, createServer } from 'node:net';
import { join } from 'node:path';
import { TLSSocket } from 'node:tls';
import { afterAll, beforeEach, describe, expect, it, onTestFinished } from 'vitest';
import type { PostgresStorageConfig } from '../../src/config/storage.js';
import { ManualClock } from '../../src/shared/clock.js';
import type { StartupError } from '../../src/shared/errors.js';
import { PostgresStorage } from '../../src/storage/postgres/open.js';
import { tempDir } from '../helpers/config.js';
import { dropSchema, freshSchemaName, postgresSkipReason, query, testPostgres, testPostgresConfig } from '../helpers/postgres.js';
import { freePort } from '../helpers/ports.js';
import { startupFailure } from '../helpers/startup.js';

/**
 * What only the PostgreSQL provider has: its connection (errors naming the key to fix, unix
 * sockets, TLS refused), the schema it creates and keeps to, its column types and its pool.
 * The behaviour it shares with SQLite is in contract/.
 */
const skip = await postgresSkipReason();
const key = 'a-very-long-test-encryption-key';
const schemas: string[] = [];

function schema(): string {
  const name = freshSchemaName();
  schemas.push(name);
  return name;
}

async function open(config: PostgresStorageConfig): Promise<PostgresStorage> {
  const storage = await PostgresStorage.open({ config, encryptionKey: key, clock: new ManualClock(), appVersion: 'test' });
  onTestFinished(() => storage.close());
  return storage;
}

async function refusal(config: PostgresStorageConfig): Promise<StartupError> {
  return startupFailure(open(config));
}

/** A self-signed certificate and its key (PEM) for `cn`, made by openssl. */
function selfSigned(cn: string): { cert: string; key: string } {
  const dir = tempDir();
  const [key, cert] = [join(dir, 'key.pem'), join(dir, 'cert.pem')];
  const args = ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', `/CN=${cn}`];
  execFileSync('openssl', [...args, '-keyout', key, '-out', cert], { stdio: 'ignore' });
  return { cert: readFileSync(cert, 'utf8'), key: readFileSync(key, 'utf8') };
}

/**
 * A PostgreSQL server speaking TLS, for a server that does not: answers the client's SSLRequest
 * with 'S', terminates TLS with `identity` (asking for a client certificate) and relays the rest
 * to the tests' server. `clients` collects the CN of each client certificate presented.
 */
async function tlsFront(identity: { cert: string; key: string }): Promise<{ port: number; clients: string[] }> {
  const clients: string[] = [];
  const sockets: Socket[] = [];
  const server = createServer((socket) => {
    sockets.push(socket);
    socket.once('data', (first) => {
      if (first.length !== 8 || first.readInt32BE(4) !== 80_877_103) {
        socket.destroy();
        return;
      }
      socket.write('S');
      const secure = new TLSSocket(socket, { isServer: true, ...identity, requestCert: true, rejectUnauthorized: false });
      const upstream = connect(testPostgres.port, testPostgres.host);
      sockets.push(upstream);
      secure.on('secure', () => {
        const peer = secure.getPeerCertificate();
        if (peer?.subject?.CN) clients.push(String(peer.subject.CN));
      });
      for (const [from, to] of [
        [secure, upstream],
        [upstream, secure],
      ] as const) {
        from.on('error', () => to.destroy());
        from.on('close', () => to.destroy());
      }
      secure.pipe(upstream).pipe(secure);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onTestFinished(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  });
  return { port: (server.address() as { port: number }).port, clients };
}

describe('PostgresStorage', () => {
  beforeEach((ctx) => {
    if (skip) ctx.skip(skip);
  });
  afterAll(async () => {
    for (const name of schemas) await dropSchema(name);
  });

  it('names storage.postgres.address and the address when nothing listens there', async () => {
    const port = await freePort();
    const error = await refusal(testPostgresConfig(schema(), { address: { kind: 'tcp', host: '127.0.0.1', port } }));
    expect([error.code, error.message]).toEqual([
      'GH_STORAGE_CONNECT',
      `storage.postgres.address: cannot connect to 'tcp://127.0.0.1:${port}': nothing accepts connections there (ECONNREFUSED)`,
    ]);
  });

  it('names the address when the server does not answer within the timeout', async () => {
    // A listener that accepts and never speaks: the connection timeout ends the wait.
    const sockets: Socket[] = [];
    const silent = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    onTestFinished(async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    });
    const { port } = silent.address() as { port: number };
    const error = await refusal(testPostgresConfig(schema(), { address: { kind: 'tcp', host: '127.0.0.1', port }, timeout: 1000 }));
    expect(error.message).toBe(`storage.postgres.address: cannot connect to 'tcp://127.0.0.1:${port}': no answer within 1 seconds (storage.postgres.timeout)`);
  });

  it('names the socket folder when there is no socket', async () => {
    const error = await refusal(testPostgresConfig(schema(), { address: { kind: 'unix', folder: '/nonexistent/run', port: 5432 } }));
    expect(error.message).toBe("storage.postgres.address: cannot connect to 'unix:///nonexistent/run': there is no socket there (ENOENT)");
  });

  it('names storage.postgres.username when the server refuses the login', async () => {
    const error = await refusal(testPostgresConfig(schema(), { username: 'gh_no_such_role' }));
    expect(error.code).toBe('GH_STORAGE_CONNECT');
    expect(error.message).toMatch(
      new RegExp(`^storage\\.postgres\\.(username|password): the server at 'tcp://${testPostgres.host.replace(/\./g, '\\.')}:${testPostgres.port}' refused`),
    );
  });

  it('names storage.postgres.database when there is no such database', async () => {
    const error = await refusal(testPostgresConfig(schema(), { database: 'gh_no_such_database' }));
    expect(error.message).toBe(
      `storage.postgres.database: the server at 'tcp://${testPostgres.host}:${testPostgres.port}' has no database 'gh_no_such_database' (3D000)`,
    );
  });

  it('names storage.postgres.tls when the server does not offer TLS', async (ctx) => {
    const [{ ssl }] = (await query<{ ssl: string }>('SHOW ssl')) as [{ ssl: string }];
    if (ssl === 'on') ctx.skip('this server offers TLS');
    const tls = {
      serverName: undefined,
      skipVerify: true,
      minimumVersion: 'TLSv1.2',
      maximumVersion: 'TLSv1.3',
      certificateChain: undefined,
      privateKey: undefined,
    } as const;
    const error = await refusal(testPostgresConfig(schema(), { tls }));
    expect(error.message).toBe(
      `storage.postgres.tls: the server at 'tcp://${testPostgres.host}:${testPostgres.port}' does not accept TLS connections; remove storage.postgres.tls or enable ssl on the server`,
    );
  });

  it('speaks TLS when storage.postgres.tls is set, presenting the client certificate', async () => {
    const front = await tlsFront(selfSigned('db.gatehouse.test'));
    const client = selfSigned('gatehouse-client');
    const tls = {
      serverName: undefined,
      skipVerify: true,
      minimumVersion: 'TLSv1.2',
      maximumVersion: 'TLSv1.3',
      certificateChain: client.cert,
      privateKey: client.key,
    } as const;
    const storage = await open(testPostgresConfig(schema(), { address: { kind: 'tcp', host: '127.0.0.1', port: front.port }, tls }));
    await storage.sessions.put({ idHash: 'h', username: 'u', data: '{}', createdAt: 1, expiresAt: 2 });
    expect(await storage.sessions.get('h')).toBeDefined();
    expect(front.clients[0]).toBe('gatehouse-client');
  });

  it('names storage.postgres.tls when the server certificate is not trusted', async () => {
    const front = await tlsFront(selfSigned('db.gatehouse.test'));
    const tls = {
      serverName: 'db.gatehouse.test',
      skipVerify: false,
      minimumVersion: 'TLSv1.2',
      maximumVersion: 'TLSv1.3',
      certificateChain: undefined,
      privateKey: undefined,
    } as const;
    const error = await refusal(testPostgresConfig(schema(), { address: { kind: 'tcp', host: '127.0.0.1', port: front.port }, tls }));
    expect(error.code).toBe('GH_STORAGE_CONNECT');
    // Node 24 adds a hint of its own after the reason ("; if the root CA is installed locally, …").
    expect(error.message).toMatch(
      new RegExp(
        `^storage\\.postgres\\.tls: the certificate of the server at 'tcp://127\\.0\\.0\\.1:${front.port}' is not trusted: self-signed certificate(;[^()]*)? \\(DEPTH_ZERO_SELF_SIGNED_CERT\\)$`,
      ),
    );
  });

  it('connects over the unix socket', async (ctx) => {
    const folder = '/var/run/postgresql';
    const local = testPostgresConfig(schema(), { address: { kind: 'unix', folder, port: testPostgres.port } });
    const storage = await open(local).catch((error: unknown) => ctx.skip(`no usable socket in ${folder}: ${(error as Error).message}`));
    await storage.sessions.put({ idHash: 'h', username: 'u', data: '{}', createdAt: 1, expiresAt: 2 });
    expect(await storage.sessions.get('h')).toBeDefined();
  });

  it('creates its schema, keeps every table in it, and leaves public alone', async () => {
    const name = schema();
    const storage = await open(testPostgresConfig(name));
    const tables = await query<{ tablename: string }>('SELECT tablename FROM pg_tables WHERE schemaname = $1 ORDER BY tablename', [name]);
    expect(tables.map((t) => t.tablename)).toEqual([
      'authentication_logs',
      'banned_ip',
      'banned_user',
      'encryption',
      'migrations',
      'oidc_authorization_codes',
      'oidc_consents',
      'oidc_grants',
      'oidc_issuance_log',
      'oidc_jti',
      'oidc_logout_deliveries',
      'oidc_pending_authorizations',
      'oidc_signing_keys',
      'oidc_subjects',
      'oidc_tokens',
      'one_time_code',
      'sessions',
      'totp_configurations',
      'totp_history',
      'user_preferences',
      'webauthn_credentials',
      'webauthn_users',
    ]);
    expect(await query("SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename IN ('sessions', 'migrations')")).toEqual([]);
    const settings = await storage.pool.query<{ search_path: string; statement_timeout: string; application_name: string }>(
      "SELECT current_setting('search_path') AS search_path, current_setting('statement_timeout') AS statement_timeout, current_setting('application_name') AS application_name",
    );
    expect(settings.rows[0]).toEqual({ search_path: name, statement_timeout: '5s', application_name: 'gatehouse' });
    expect(storage.pool.options.max).toBe(10);
  });

  it('stores times as BIGINT, blobs as BYTEA and flags as BOOLEAN', async () => {
    const name = schema();
    await open(testPostgresConfig(name));
    const columns = await query<{ table_name: string; column_name: string; data_type: string }>(
      'SELECT table_name, column_name, data_type FROM information_schema.columns WHERE table_schema = $1',
      [name],
    );
    const typeOf = (table: string, column: string) => columns.find((c) => c.table_name === table && c.column_name === column)?.data_type;
    expect(
      [
        ['sessions', 'expires_at'],
        ['oidc_tokens', 'rotated_at'],
        ['oidc_logout_deliveries', 'next_attempt_at'],
        ['totp_configurations', 'secret'],
        ['oidc_signing_keys', 'private_key'],
        ['one_time_code', 'code_hash'],
        ['authentication_logs', 'successful'],
        ['banned_user', 'revoked'],
      ].map(([table, column]) => typeOf(table!, column!)),
    ).toEqual(['bigint', 'bigint', 'bigint', 'bytea', 'bytea', 'bytea', 'boolean', 'boolean']);
    // No column keeps a time in a 32-bit integer.
    expect(columns.filter((c) => /_at$|^time$|^expires$/.test(c.column_name) && c.data_type !== 'bigint')).toEqual([]);
  });

  it('changes nothing when a migration fails', async () => {
    const name = schema();
    await query(`CREATE SCHEMA ${name}; CREATE TABLE ${name}.oidc_subjects (conflicting INTEGER)`);
    const error = await refusal(testPostgresConfig(name));
    expect(error.code).toBe('GH_STORAGE_INIT');
    expect(error.message).toMatch(
      new RegExp(
        `^storage\\.postgres: cannot prepare the database at tcp://.* database '${testPostgres.database}' schema '${name}': relation "oidc_subjects" already exists$`,
      ),
    );
    const tables = await query<{ tablename: string }>('SELECT tablename FROM pg_tables WHERE schemaname = $1', [name]);
    expect(tables.map((t) => t.tablename)).toEqual(['oidc_subjects']);
  });

  it('serves again after the server ended its connection', async () => {
    const storage = await open(testPostgresConfig(schema()));
    await storage.sessions.put({ idHash: 'h', username: 'u', data: '{}', createdAt: 1, expiresAt: 2 });
    const { rows } = await storage.pool.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    await query('SELECT pg_terminate_backend($1)', [rows[0]!.pid]);
    // The call that meets the dead connection may fail; the pool replaces it for the next.
    await storage.sessions.get('h').catch(() => undefined);
    expect(await storage.sessions.get('h')).toMatchObject({ username: 'u' });
  });

  it('fails later calls once closed', async () => {
    const storage = await open(testPostgresConfig(schema()));
    await storage.close();
    await storage.close();
    await expect(storage.sessions.get('h')).rejects.toThrow();
  });
});
