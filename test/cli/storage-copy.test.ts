import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config/config.js';
import { ManualClock } from '../../src/shared/clock.js';
import { copiedTables } from '../../src/storage/copy/tables.js';
import { openConnection } from '../../src/storage/sqlite/connection.js';
import { SqliteStorage } from '../../src/storage/sqlite/open.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/config.js';
import { startTestGateway } from '../helpers/gateway.js';
import { Browser, client, issuer, loopbackFetch } from '../helpers/oidc.js';
import { PortalClient, lastCode, totpCode } from '../helpers/portal.js';
import { dropSchema, freshSchemaName, postgresSkipReason, query, testPostgres, testPostgresConfig } from '../helpers/postgres.js';
import { type World, configFor, signIn, startRefreshProvider } from '../oidc/refresh-helpers.js';

const hmacSecret = 'a-very-long-hmac-secret-for-tests';
const keys = { a: 'a-very-long-test-encryption-key', b: 'the-postgresql-side-encryption-key', c: 'the-key-of-the-way-back-to-sqlite' };
const cookie = { domain: 'example.com', portal_url: 'https://auth.example.com' };

/** A configuration file for the CLI: its storage, and the OpenID Connect hmac_secret (null: no identity_providers). */
function configFile(dir: string, name: string, key: string, storage: Record<string, unknown>, hmac: string | null = hmacSecret): string {
  const file = join(dir, name);
  const oidc = {
    hmac_secret: hmac,
    clients: [{ client_id: 'app', client_secret: 'a-client-secret-0123456789', redirect_uris: ['https://app.example.com/cb'] }],
  };
  const document = { session: { cookies: [cookie] }, storage: { encryption_key: key, ...storage }, ...(hmac === null ? {} : { identity_providers: { oidc } }) };
  writeFileSync(file, JSON.stringify(document, null, 2));
  return file;
}

const postgresAddress = `tcp://${testPostgres.host.includes(':') ? `[${testPostgres.host}]` : testPostgres.host}:${testPostgres.port}`;

function postgresStorage(schema: string): Record<string, unknown> {
  return {
    postgres: {
      address: postgresAddress,
      database: testPostgres.database,
      schema,
      username: testPostgres.user,
      ...(testPostgres.password === undefined ? {} : { password: testPostgres.password }),
    },
  };
}

/** The rows per table the summary printed. */
function printedRows(stdout: string): Record<string, number> {
  return Object.fromEntries([...stdout.matchAll(/^ {2}([a-z_]+) +(\d+)$/gm)].map((m) => [m[1]!, Number(m[2])]));
}

/** Rows per copied table of a SQLite file, read directly (a connection that keeps its statements: see connection.ts). */
function sqliteRows(path: string): Record<string, number> {
  const db = openConnection(path);
  try {
    return Object.fromEntries(copiedTables.map((t) => [t, (db.prepare(`SELECT COUNT(*) AS n FROM ${t}`).get() as { n: number }).n]));
  } finally {
    db.close();
  }
}

/** Every row of every copied table of a SQLite file, to tell whether it changed. */
function sqliteDump(path: string): string {
  const db = openConnection(path);
  try {
    return JSON.stringify(copiedTables.map((t) => db.prepare(`SELECT * FROM ${t} ORDER BY rowid`).all()));
  } finally {
    db.close();
  }
}

async function postgresRows(schema: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const t of copiedTables) out[t] = (await query<{ n: number }>(`SELECT COUNT(*)::int AS n FROM ${schema}.${t}`))[0]!.n;
  return out;
}

/** Starts an enrolment in `portal`'s session: identity code by e-mail, then the new secret (kept sealed in the session until confirmed). */
async function startEnrolment(w: World, portal: PortalClient): Promise<string> {
  const start = await portal.postJson('/api/secondfactor/totp/identity/start', {});
  // A two-factor session is elevated already (no e-mail): Authelia's PUT prepares the secret.
  if (start.json().data?.ready === true) return (await portal.sendJson('PUT', '/api/secondfactor/totp/register', {})).json().data.base32_secret as string;
  const finish = await portal.postJson('/api/secondfactor/totp/identity/finish', { code: lastCode(w.notifications) });
  return (finish.json().data as { secret: string }).secret;
}

/** john enrols an authenticator through the portal; returns its secret and the portal session (now at level 2). */
async function enrolTotp(w: World): Promise<{ secret: string; portal: PortalClient }> {
  const portal = new PortalClient(w.gateway);
  expect((await portal.login()).status).toBe(200);
  const secret = await startEnrolment(w, portal);
  expect((await portal.postJson('/api/secondfactor/totp/register', { token: totpCode(secret, w.clock) })).json()).toEqual({ status: 'OK' });
  return { secret, portal };
}

/** john signs in with his password, then his TOTP code for the current time step; returns the reply to the code. */
async function signInWithTotp(w: World, secret: string): Promise<{ status: number; level: number }> {
  const portal = new PortalClient(w.gateway);
  expect((await portal.login('john', 'password', { targetURL: 'http://secure.gatehouse.localhost/' })).status).toBe(200);
  const reply = await portal.postJson('/api/secondfactor/totp', { token: totpCode(secret, w.clock), targetURL: 'http://secure.gatehouse.localhost/' });
  return { status: reply.status, level: (await portal.get('/api/state')).json().data.authentication_level as number };
}

async function publishedKids(w: World): Promise<string[]> {
  const jwks = (await (await w.fetch(`${issuer}/jwks.json`)).json()) as { keys: { kid: string }[] };
  return jwks.keys.map((k) => k.kid);
}

function kidOf(jwt: string): string {
  return (JSON.parse(Buffer.from(jwt.split('.')[0]!, 'base64url').toString()) as { kid: string }).kid;
}

/** The same world (users, clients, clock) served by a gateway on other storage. */
async function servedFrom(w: World, storage: Config['storage']): Promise<World> {
  const gateway = await startTestGateway({ ...w.config, storage }, { clock: w.clock });
  return { ...w, gateway, fetch: loopbackFetch(new URL(gateway.url)) };
}

const skip = await postgresSkipReason();
const schemas: string[] = [];

describe('gatehouse storage copy between SQLite and PostgreSQL', () => {
  beforeEach((ctx) => {
    if (skip) ctx.skip(skip);
  });
  afterAll(async () => {
    for (const schema of schemas) await dropSchema(schema);
  });

  it('moves a populated SQLite store to PostgreSQL under another key, where TOTP, refresh tokens and the signing key work; and back', async () => {
    // On SQLite: john enrols TOTP, signs in to an app that gets a refresh token; bob is banned; a logout waits for delivery.
    const w = await startRefreshProvider();
    const { secret, portal } = await enrolTotp(w);
    // A second enrolment left half-way: its secret waits, sealed under the storage key, in the session.
    const pending = await startEnrolment(w, portal);
    const { tokens, browser } = await signIn(w, await configFor(w, 'offline'));
    const remembered = await signIn(w, await configFor(w, 'offline-remember'), { browser, remember: true });
    expect(remembered.consentPage).toBeDefined();
    const kids = await publishedKids(w);
    expect(kids).toHaveLength(1);
    expect(kidOf(tokens.id_token!)).toBe(kids[0]);
    const { storage } = w.gateway;
    await storage.bans.banUser('bob', { time: w.clock.now(), expires: undefined, source: 'regulation', reason: 'too many failures' });
    const logout = { uri: 'http://127.0.0.1:9/bc', issuer, subject: 's', sid: 'x', jti: 'j', reason: 'logout', expiresAt: w.clock.now() + 3_600_000 };
    await storage.oidc.enqueueLogout({ ...logout, clientId: 'gone', nextAttemptAt: w.clock.now(), createdAt: w.clock.now() });
    await w.gateway.close();
    const sqlitePath = join(w.dir, 'db.sqlite3');
    const before = sqliteRows(sqlitePath);
    for (const table of ['sessions', 'totp_configurations', 'totp_history', 'one_time_code', 'banned_user', 'authentication_logs']) {
      expect(before[table], table).toBeGreaterThan(0);
    }
    for (const table of ['oidc_signing_keys', 'oidc_subjects', 'oidc_grants', 'oidc_tokens', 'oidc_authorization_codes', 'oidc_consents']) {
      expect(before[table], table).toBeGreaterThan(0);
    }
    expect([before.oidc_issuance_log! > 0, before.oidc_logout_deliveries]).toEqual([true, 1]);

    const dir = tempDir();
    const schema = freshSchemaName();
    schemas.push(schema);
    const a = configFile(dir, 'a.yml', keys.a, { local: { path: sqlitePath } });
    const b = configFile(dir, 'b.yml', keys.b, postgresStorage(schema));
    const copied = await runCli(['storage', 'copy', '--from', a, '--to', b]);
    expect(copied.stderr).toBe('');
    expect(copied.code).toBe(0);
    expect(copied.stdout).toMatch(
      new RegExp(
        `^Copied SQLite ${sqlitePath} to PostgreSQL ${postgresAddress} database '${testPostgres.database}' schema '${schema}' \\(schema version \\d+\\):$`,
        'm',
      ),
    );
    expect(printedRows(copied.stdout)).toEqual(before);
    expect(copied.stdout).toMatch(/^ {2}total +\d+ rows in \d+\.\d\d s, \d+ rows\/s$/m);
    expect(copied.stdout).toMatch(
      /^Re-encrypted under the target's storage.encryption_key: TOTP secrets \(1\), OpenID Connect signing keys \(1\), TOTP enrolments in progress \(1\)\.$/m,
    );
    expect(await postgresRows(schema)).toEqual(before);
    // The source is unchanged by the copy.
    expect(sqliteRows(sqlitePath)).toEqual(before);

    // On PostgreSQL, with its own key: the code john used at enrolment is a replay there too; the next one signs him in.
    const pg = await servedFrom(w, { encryptionKey: keys.b, kind: 'postgres', postgres: testPostgresConfig(schema) });
    expect(await signInWithTotp(pg, secret)).toEqual({ status: 401, level: 1 });
    w.clock.advance(30_000);
    expect(await signInWithTotp(pg, secret)).toEqual({ status: 200, level: 2 });
    // The browser session started on SQLite is still signed in; the refresh token issued there refreshes; the same key signs.
    const carried = new Browser(pg.fetch);
    carried.cookie = browser.cookie;
    expect(((await (await carried.get(`${issuer}/api/state`)).json()) as { data: { username: string } }).data.username).toBe('john');
    const refreshed = await client.refreshTokenGrant(await configFor(pg, 'offline'), tokens.refresh_token!);
    expect(refreshed.claims()?.sub).toBe(tokens.claims()?.sub);
    expect(kidOf(refreshed.id_token!)).toBe(kids[0]);
    expect(await publishedKids(pg)).toEqual(kids);
    // The consent remembered on SQLite spares john the consent page.
    expect((await signIn(pg, await configFor(pg, 'offline-remember'), { browser: carried })).consentPage).toBeUndefined();
    expect(await pg.gateway.storage.bans.activeUserBan('bob', w.clock.now())).toMatchObject({ reason: 'too many failures' });
    await pg.gateway.close();

    // And back to SQLite, under a third key.
    const backPath = join(dir, 'back.sqlite3');
    const c = configFile(dir, 'c.yml', keys.c, { local: { path: backPath } });
    const onPostgres = await postgresRows(schema);
    const back = await runCli(['storage', 'copy', '--from', b, '--to', c]);
    expect([back.code, back.stderr]).toEqual([0, '']);
    expect(printedRows(back.stdout)).toEqual(onPostgres);
    expect(sqliteRows(backPath)).toEqual(onPostgres);
    const home = await servedFrom(w, { encryptionKey: keys.c, kind: 'local', local: { path: backPath } });
    expect(await signInWithTotp(home, secret)).toEqual({ status: 401, level: 1 });
    w.clock.advance(30_000);
    expect(await signInWithTotp(home, secret)).toEqual({ status: 200, level: 2 });
    const again = await client.refreshTokenGrant(await configFor(home, 'offline'), refreshed.refresh_token!);
    expect(kidOf(again.id_token!)).toBe(kids[0]);
    // The enrolment started on the first SQLite store, re-sealed under two keys since, can be finished.
    const resumed = new PortalClient(home.gateway);
    resumed.cookie = portal.cookie;
    expect((await resumed.postJson('/api/secondfactor/totp/register', { token: totpCode(pending, w.clock) })).json()).toEqual({ status: 'OK' });
  });

  it('refuses a PostgreSQL source whose schema holds no Gatehouse store, creating nothing there', async () => {
    const dir = tempDir();
    const schema = freshSchemaName();
    schemas.push(schema);
    const a = configFile(dir, 'a.yml', keys.a, postgresStorage(schema));
    const b = configFile(dir, 'b.yml', keys.b, { local: { path: join(dir, 'b.sqlite3') } });
    const result = await runCli(['storage', 'copy', '--from', a, '--to', b]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `gatehouse storage copy: --from '${a}': there is no Gatehouse storage at ${postgresAddress} database '${testPostgres.database}' schema '${schema}' to copy\n`,
    );
    expect(await query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema])).toEqual([]);
    expect(existsSync(join(dir, 'b.sqlite3'))).toBe(false);
  });
});

/** A SQLite store with a session, a TOTP key and a ban, under `key`. */
async function populated(path: string, key = keys.a): Promise<void> {
  const storage = SqliteStorage.open({ path, encryptionKey: key, clock: new ManualClock(), appVersion: 'test' });
  await storage.sessions.put({ idHash: 'h', username: 'john', data: '{}', createdAt: 1, expiresAt: 2 });
  await storage.totp.save({
    username: 'john',
    issuer: 'x',
    algorithm: 'SHA1',
    digits: 6,
    period: 30,
    secret: Buffer.from('s3cret'),
    createdAt: 1,
    lastUsedAt: undefined,
  });
  await storage.bans.banIp('10.0.0.1', { time: 1, expires: undefined, source: 'cli', reason: '' });
  await storage.close();
}

describe('gatehouse storage copy (SQLite to SQLite)', () => {
  const setup = async () => {
    const dir = tempDir();
    const source = join(dir, 'a.sqlite3');
    const target = join(dir, 'b.sqlite3');
    await populated(source);
    return {
      dir,
      source,
      target,
      a: configFile(dir, 'a.yml', keys.a, { local: { path: source } }),
      b: configFile(dir, 'b.yml', keys.b, { local: { path: target } }),
    };
  };

  it('refuses a target that holds a record, naming what it holds, and leaves it unchanged; --force empties it first', async () => {
    const { a, b, target } = await setup();
    const storage = SqliteStorage.open({ path: target, encryptionKey: keys.b, clock: new ManualClock(), appVersion: 'test' });
    await storage.bans.banUser('mallory', { time: 1, expires: undefined, source: 'cli', reason: '' });
    await storage.bans.banUser('trudy', { time: 1, expires: undefined, source: 'cli', reason: '' });
    await storage.close();
    const unchanged = sqliteDump(target);

    const refused = await runCli(['storage', 'copy', '--from', a, '--to', b]);
    expect(refused).toEqual({
      code: 1,
      stdout: '',
      stderr: `gatehouse storage copy: --to '${b}': the target is not empty: it holds 2 rows in banned_user; point --to at an empty store, or add --force to empty it first (what it holds is lost)\n`,
    });
    expect(sqliteDump(target)).toBe(unchanged);

    const forced = await runCli(['storage', 'copy', '--from', a, '--to', b, '--force']);
    expect([forced.code, forced.stderr]).toEqual([0, '']);
    expect(forced.stdout).toMatch(/^Emptied the target first \(--force\): 2 rows in banned_user\.$/m);
    expect(printedRows(forced.stdout)).toMatchObject({ sessions: 1, totp_configurations: 1, banned_ip: 1, banned_user: 0 });
    const copied = SqliteStorage.open({ path: target, encryptionKey: keys.b, clock: new ManualClock(), appVersion: 'test' });
    expect((await copied.totp.get('john'))?.secret.toString()).toBe('s3cret');
    expect(await copied.bans.activeUserBan('mallory', 2)).toBeUndefined();
    await copied.close();
  });

  it("names --from and the key when the source's encryption key is not the one it was created with, creating nothing", async () => {
    const { dir, source, target, b } = await setup();
    const wrong = configFile(dir, 'wrong.yml', 'not-the-key-it-was-created-with', { local: { path: source } });
    const result = await runCli(['storage', 'copy', '--from', wrong, '--to', b]);
    expect(result).toEqual({
      code: 1,
      stdout: '',
      stderr:
        `gatehouse storage copy: --from '${wrong}': storage.encryption_key: is not the key the database '${source}' was created with; ` +
        'start with the original key (the database was not changed)\n',
    });
    expect(existsSync(target)).toBe(false);
  });

  it('refuses configurations with different hmac_secret values, since no stored token would work on the target', async () => {
    const { dir, source, target, a } = await setup();
    const other = configFile(dir, 'other.yml', keys.b, { local: { path: target } }, 'another-hmac-secret-for-the-target');
    const result = await runCli(['storage', 'copy', '--from', a, '--to', other]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /^gatehouse storage copy: the two configurations have different identity_providers\.oidc\.hmac_secret values: the stored authorization codes, access and refresh tokens are kept as HMAC digests under it, so none of them would work on the target\. /,
    );
    expect(existsSync(target)).toBe(false);
    expect(sqliteRows(source)).toMatchObject({ sessions: 1 });

    // Without identity_providers on the target, the records are copied with a note.
    const plain = configFile(dir, 'plain.yml', keys.b, { local: { path: target } }, null);
    const noted = await runCli(['storage', 'copy', '--from', a, '--to', plain]);
    expect(noted.code).toBe(0);
    expect(noted.stdout).toMatch(/^Note: --to's configuration has no identity_providers\.oidc: the OpenID Connect records were copied/m);
  });

  it('refuses a source that does not exist, and the same store on both sides', async () => {
    const { dir, target, a, b } = await setup();
    const missing = configFile(dir, 'missing.yml', keys.a, { local: { path: join(dir, 'none.sqlite3') } });
    expect(await runCli(['storage', 'copy', '--from', missing, '--to', b])).toEqual({
      code: 1,
      stdout: '',
      stderr: `gatehouse storage copy: --from '${missing}': there is no Gatehouse storage at ${join(dir, 'none.sqlite3')} to copy\n`,
    });
    expect([existsSync(join(dir, 'none.sqlite3')), existsSync(target)]).toEqual([false, false]);
    const same = configFile(dir, 'same.yml', keys.b, { local: { path: './a.sqlite3' } });
    const result = await runCli(['storage', 'copy', '--from', a, '--to', same]);
    expect([result.code, result.stderr]).toEqual([
      1,
      `gatehouse storage copy: --from '${a}' and --to '${same}' name the same store (${join(dir, 'a.sqlite3')}): there is nothing to copy\n`,
    ]);
  });

  it('prints every problem of a configuration that does not load', async () => {
    const { dir, a } = await setup();
    const broken = join(dir, 'broken.yml');
    writeFileSync(broken, JSON.stringify({ session: { cookies: [cookie] }, storage: { encryption_key: 'short' } }));
    const result = await runCli(['storage', 'copy', '--from', a, '--to', broken]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`configuration '${broken}' has 1 problem:\n  - storage.encryption_key: must be at least 20 characters but is 5 characters\n`);
  });

  it('explains its usage', async () => {
    const help = await runCli(['storage', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: gatehouse storage copy --from CONFIG_A --to CONFIG_B \[--force\]\n/);
    expect((await runCli(['storage'])).code).toBe(2);
    expect((await runCli(['--help'])).stdout).toMatch(/^ {2}storage {10}copy every stored record to another configuration's storage \(storage copy\)$/m);
    const cases: [string[], string][] = [
      [['storage', 'copy', '--from', 'a.yml'], 'gatehouse storage copy: needs --from CONFIG_A and --to CONFIG_B'],
      [['storage', 'copy', '--to', 'b.yml'], 'gatehouse storage copy: needs --from CONFIG_A and --to CONFIG_B'],
      [['storage', 'move', '--from', 'a.yml', '--to', 'b.yml'], "gatehouse storage: expects 'copy'; run 'gatehouse storage --help'"],
      [['storage', 'copy', 'extra', '--from', 'a.yml', '--to', 'b.yml'], "gatehouse storage: expects 'copy'; run 'gatehouse storage --help'"],
      [['storage', 'copy', '--from', 'a.yml', '--to', 'b.yml', '--config', 'c.yml'], "gatehouse storage: unknown option '--config'"],
      [['storage', 'copy', '--from'], "gatehouse storage: Option '--from <value>' argument missing"],
    ];
    for (const [args, message] of cases) expect(await runCli(args), args.join(' ')).toEqual({ code: 2, stdout: '', stderr: `${message}\n` });
  });
});
