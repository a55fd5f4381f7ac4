import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config/config.js';
import { copiedTables } from '../../src/storage/copy/tables.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/config.js';
import { startTestGateway } from '../helpers/gateway.js';
import { dropDatabase, freshDatabase, mysqlQuery, mysqlSkipReason, testMysql, testMysqlConfig } from '../helpers/mysql.js';
import { client, loopbackFetch } from '../helpers/oidc.js';
import { PortalClient, lastCode, totpCode } from '../helpers/portal.js';
import { dropSchema, freshSchemaName, postgresSkipReason, testPostgres, testPostgresConfig } from '../helpers/postgres.js';
import { type World, configFor, signIn, startRefreshProvider } from '../oidc/refresh-helpers.js';

/**
 * `gatehouse storage copy` to and from MySQL/MariaDB end to end: a store filled by real sign-ins
 * on SQLite moves to MySQL, a gateway on MySQL accepts the TOTP key, the refresh token and the
 * signing key; then MySQL moves to PostgreSQL, where they work again. Every provider pair is
 * also copied table by table in test/storage/copy.test.ts.
 */
const mysqlSkip = await mysqlSkipReason();
const pgSkip = await postgresSkipReason();
const databases: string[] = [];
const schemas: string[] = [];
afterAll(async () => {
  for (const database of databases) await dropDatabase(database);
  for (const schema of schemas) await dropSchema(schema);
});

const hmacSecret = 'a-very-long-hmac-secret-for-tests';
const keys = { a: 'a-very-long-test-encryption-key', b: 'the-mysql-side-encryption-key-00', c: 'the-postgresql-side-encryption-key' };
const mysqlAddress = `tcp://${testMysql.host}:${testMysql.port}`;

/** A configuration file for the CLI with `storage` and the OpenID Connect hmac_secret. */
function configFile(dir: string, name: string, key: string, storage: Record<string, unknown>): string {
  const file = join(dir, name);
  const oidc = {
    hmac_secret: hmacSecret,
    clients: [{ client_id: 'app', client_secret: 'a-client-secret-0123456789', redirect_uris: ['https://app.example.com/cb'] }],
  };
  const document = {
    session: { cookies: [{ domain: 'example.com', portal_url: 'https://auth.example.com' }] },
    storage: { encryption_key: key, ...storage },
    identity_providers: { oidc },
  };
  writeFileSync(file, JSON.stringify(document, null, 2));
  return file;
}

function mysqlStorage(database: string): Record<string, unknown> {
  const { user, password } = testMysql;
  return { mysql: { address: mysqlAddress, database, username: user, ...(password === undefined ? {} : { password }) } };
}

/** The rows per table the summary printed. */
function printedRows(stdout: string): Record<string, number> {
  return Object.fromEntries([...stdout.matchAll(/^ {2}([a-z_]+) +(\d+)$/gm)].map((m) => [m[1]!, Number(m[2])]));
}

async function mysqlRows(database: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const t of copiedTables) out[t] = Number((await mysqlQuery<{ n: number }>(`SELECT COUNT(*) AS n FROM ${database}.${t}`))[0]!.n);
  return out;
}

/** john enrols TOTP through the portal (identity code by e-mail); returns the secret. */
async function enrolTotp(w: World): Promise<string> {
  const portal = new PortalClient(w.gateway);
  expect((await portal.login()).status).toBe(200);
  const start = await portal.postJson('/api/secondfactor/totp/identity/start', {});
  const secret =
    start.json().data?.ready === true
      ? ((await portal.sendJson('PUT', '/api/secondfactor/totp/register', {})).json().data.base32_secret as string)
      : ((await portal.postJson('/api/secondfactor/totp/identity/finish', { code: lastCode(w.notifications) })).json().data as { secret: string }).secret;
  expect((await portal.postJson('/api/secondfactor/totp/register', { token: totpCode(secret, w.clock) })).json()).toEqual({ status: 'OK' });
  return secret;
}

/** john signs in with his password, then his TOTP code for the current step; the reply's status. */
async function signInWithTotp(w: World, secret: string): Promise<number> {
  const portal = new PortalClient(w.gateway);
  expect((await portal.login('john', 'password', { targetURL: 'http://secure.gatehouse.localhost/' })).status).toBe(200);
  return (await portal.postJson('/api/secondfactor/totp', { token: totpCode(secret, w.clock), targetURL: 'http://secure.gatehouse.localhost/' })).status;
}

const kidOf = (jwt: string) => (JSON.parse(Buffer.from(jwt.split('.')[0]!, 'base64url').toString()) as { kid: string }).kid;

/** The same world (users, clients, clock) served by a gateway on other storage. */
async function servedFrom(w: World, storage: Config['storage']): Promise<World> {
  const gateway = await startTestGateway({ ...w.config, storage }, { clock: w.clock });
  return { ...w, gateway, fetch: loopbackFetch(new URL(gateway.url)) };
}

describe('gatehouse storage copy to and from MySQL/MariaDB', () => {
  beforeEach((ctx) => {
    if (mysqlSkip) ctx.skip(mysqlSkip);
  });

  it('moves a populated SQLite store to MySQL and on to PostgreSQL, each under its own key; TOTP, refresh tokens and the signing key keep working', async () => {
    const w = await startRefreshProvider();
    const secret = await enrolTotp(w);
    const { tokens } = await signIn(w, await configFor(w, 'offline'));
    await w.gateway.storage.bans.banUser('bob', { time: w.clock.now(), expires: undefined, source: 'regulation', reason: 'too many failures' });
    await w.gateway.close();

    const dir = tempDir();
    const database = await freshDatabase();
    databases.push(database);
    const a = configFile(dir, 'a.yml', keys.a, { local: { path: join(w.dir, 'db.sqlite3') } });
    const b = configFile(dir, 'b.yml', keys.b, mysqlStorage(database));
    const copied = await runCli(['storage', 'copy', '--from', a, '--to', b]);
    expect([copied.code, copied.stderr]).toEqual([0, '']);
    expect(copied.stdout).toMatch(new RegExp(`^Copied SQLite .* to MySQL ${mysqlAddress} database '${database}' \\(schema version \\d+\\):$`, 'm'));
    expect(copied.stdout).toMatch(/^Re-encrypted under the target's storage.encryption_key: TOTP secrets \(1\), OpenID Connect signing keys \(1\)/m);
    const onMysql = await mysqlRows(database);
    expect(printedRows(copied.stdout)).toEqual(onMysql);
    expect(onMysql.oidc_tokens).toBeGreaterThan(0);

    const my = await servedFrom(w, { encryptionKey: keys.b, kind: 'mysql', mysql: testMysqlConfig(database) });
    w.clock.advance(30_000);
    expect(await signInWithTotp(my, secret)).toBe(200);
    const refreshed = await client.refreshTokenGrant(await configFor(my, 'offline'), tokens.refresh_token!);
    expect(kidOf(refreshed.id_token!)).toBe(kidOf(tokens.id_token!));
    expect(await my.gateway.storage.bans.activeUserBan('bob', w.clock.now())).toMatchObject({ reason: 'too many failures' });
    await my.gateway.close();

    if (pgSkip) return; // MySQL → SQLite is covered below; MySQL → PostgreSQL needs PostgreSQL.
    const schema = freshSchemaName();
    schemas.push(schema);
    const { user, password } = testPostgres;
    const pgAddress = `tcp://${testPostgres.host}:${testPostgres.port}`;
    const c = configFile(dir, 'c.yml', keys.c, {
      postgres: { address: pgAddress, database: testPostgres.database, schema, username: user, ...(password === undefined ? {} : { password }) },
    });
    const onward = await runCli(['storage', 'copy', '--from', b, '--to', c]);
    expect([onward.code, onward.stderr]).toEqual([0, '']);
    expect(onward.stdout).toMatch(new RegExp(`^Copied MySQL ${mysqlAddress} database '${database}' to PostgreSQL `, 'm'));
    expect(printedRows(onward.stdout)).toEqual(await mysqlRows(database));
    const pg = await servedFrom(w, { encryptionKey: keys.c, kind: 'postgres', postgres: testPostgresConfig(schema) });
    w.clock.advance(30_000);
    expect(await signInWithTotp(pg, secret)).toBe(200);
    const again = await client.refreshTokenGrant(await configFor(pg, 'offline'), refreshed.refresh_token!);
    expect(kidOf(again.id_token!)).toBe(kidOf(tokens.id_token!));
    await pg.gateway.close();
  });

  it('copies MySQL back to SQLite', async () => {
    const w = await startRefreshProvider();
    const secret = await enrolTotp(w);
    await w.gateway.close();
    const dir = tempDir();
    const database = await freshDatabase();
    databases.push(database);
    const a = configFile(dir, 'a.yml', keys.a, { local: { path: join(w.dir, 'db.sqlite3') } });
    const b = configFile(dir, 'b.yml', keys.b, mysqlStorage(database));
    const backPath = join(dir, 'back.sqlite3');
    const c = configFile(dir, 'c.yml', keys.c, { local: { path: backPath } });
    expect((await runCli(['storage', 'copy', '--from', a, '--to', b])).code).toBe(0);
    const back = await runCli(['storage', 'copy', '--from', b, '--to', c]);
    expect([back.code, back.stderr]).toEqual([0, '']);
    expect(printedRows(back.stdout)).toEqual(await mysqlRows(database));
    const home = await servedFrom(w, { encryptionKey: keys.c, kind: 'local', local: { path: backPath } });
    w.clock.advance(30_000);
    expect(await signInWithTotp(home, secret)).toBe(200);
    await home.gateway.close();
  });

  it('refuses a MySQL source whose database holds no Gatehouse store, creating nothing there', async () => {
    const dir = tempDir();
    const database = await freshDatabase();
    databases.push(database);
    const a = configFile(dir, 'a.yml', keys.a, mysqlStorage(database));
    const b = configFile(dir, 'b.yml', keys.b, { local: { path: join(dir, 'b.sqlite3') } });
    const result = await runCli(['storage', 'copy', '--from', a, '--to', b]);
    expect([result.code, result.stderr]).toEqual([
      1,
      `gatehouse storage copy: --from '${a}': there is no Gatehouse storage at ${mysqlAddress} database '${database}' to copy\n`,
    ]);
    expect(await mysqlQuery('SELECT table_name FROM information_schema.tables WHERE table_schema = ?', [database])).toEqual([]);
  });

  it('names the configuration and storage.mysql.address when the server cannot be reached', async () => {
    const dir = tempDir();
    const a = configFile(dir, 'a.yml', keys.a, { mysql: { address: 'unix:///nonexistent/mysqld.sock', database: 'x', username: 'u' } });
    const b = configFile(dir, 'b.yml', keys.b, { local: { path: join(dir, 'b.sqlite3') } });
    const result = await runCli(['storage', 'copy', '--from', a, '--to', b]);
    expect([result.code, result.stderr]).toEqual([
      1,
      `gatehouse storage copy: --from '${a}': storage.mysql.address: cannot connect to 'unix:///nonexistent/mysqld.sock': there is no socket there (ENOENT)\n`,
    ]);
  });
});
