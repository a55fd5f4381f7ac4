import { type Server, createServer, request as httpRequest } from 'node:http';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { dump } from 'js-yaml';
import { afterAll, beforeEach, describe, expect, it, onTestFinished } from 'vitest';
import { sessionCacheTtl } from '../../src/session/cached-store.js';
import type { Gateway } from '../../src/server/gateway.js';
import { healthProbeInterval } from '../../src/server/health.js';
import { ManualClock } from '../../src/shared/clock.js';
import { configOf, tempDir } from '../helpers/config.js';
import { startTestGateway, injectListener } from '../helpers/gateway.js';
import { PortalClient, portalHost, quickDigest } from '../helpers/portal.js';
import { dropDatabase, freshDatabase, mysqlSkipReason, testMysql } from '../helpers/mysql.js';
import { dropSchema, freshSchemaName, postgresSkipReason, testPostgres } from '../helpers/postgres.js';
import { ownRedisServer, redisServerInstalled } from '../helpers/redis.js';
import { type TcpRelay, startTcpRelay } from '../helpers/tcp-relay.js';

/**
 * PostgreSQL (behind a TCP relay the test cuts, stalls and restores) and Redis (a redis-server
 * of the test's own, killed and restarted) lost while a gateway runs: every request that needs
 * the store fails closed with 503 — forward-auth and the proxy never let through what they
 * cannot verify, the portal answers its KO body or an error page, OpenID Connect answers
 * `temporarily_unavailable` — `/api/health` says which store since when, and all of it serves
 * again by itself once the engine is back, without restarting the gateway.
 */
const pgSkip = await postgresSkipReason();
const mysqlSkip = await mysqlSkipReason();
const databases: string[] = [];
const redisInstalled = redisServerInstalled('test/server/store-failure.test.ts');
const schemas: string[] = [];

const secret = 'store-failure-client-secret-0123456789';
const storageDown = 'The request cannot be completed right now (the storage is unavailable); try again shortly.';
const sessionsDown = 'Sessions cannot be checked right now (the session store is unavailable); try again shortly.';
const callback = 'http://app.gatehouse.localhost/callback';

/** A gateway's configuration: john in a users file, an OpenID Connect provider, a proxied site, and `storage`/`session` as given. */
function world(storage: Record<string, unknown>, session: Record<string, unknown> = {}, upstream = 'http://127.0.0.1:9') {
  const dir = tempDir();
  const users = join(dir, 'users.yml');
  writeFileSync(users, dump({ users: { john: { displayname: 'John', password: quickDigest('password'), groups: ['dev'] } } }));
  const raw = {
    server: { address: 'tcp://127.0.0.1:0' },
    log: { level: 'warn', format: 'json' },
    session: { secret: 'a-very-long-test-session-secret', cookies: [{ domain: 'gatehouse.localhost', portal_url: `http://${portalHost}` }], ...session },
    storage: { encryption_key: 'a-very-long-test-encryption-key', ...storage },
    authentication_backend: { file: { path: users } },
    access_control: {
      default_policy: 'deny',
      rules: [
        { domain: portalHost, policy: 'bypass' },
        { domain: ['app.gatehouse.localhost', 'proxied.gatehouse.localhost'], policy: 'one_factor' },
      ],
    },
    identity_providers: {
      oidc: {
        hmac_secret: 'a-very-long-hmac-secret-for-store-failure-tests',
        clients: [
          {
            client_id: 'robot',
            client_secret: secret,
            grant_types: ['client_credentials'],
            scopes: ['gatehouse.bearer.authz'],
            audience: ['http://app.gatehouse.localhost', 'http://proxied.gatehouse.localhost'],
          },
          { client_id: 'app', client_secret: secret, authorization_policy: 'one_factor', consent_mode: 'implicit', redirect_uris: [callback] },
        ],
      },
    },
    proxy: { upstreams: [{ domain: 'proxied.gatehouse.localhost', target: upstream }] },
  };
  return configOf(raw, {}, dir);
}

/** `storage.postgres` through `relay`, in a schema of its own (dropped after the file). */
function postgresThrough(relay: TcpRelay, timeout = '2s'): Record<string, unknown> {
  const schema = freshSchemaName();
  schemas.push(schema);
  const { database, user, password } = testPostgres;
  return { postgres: { address: `tcp://${relay.host}:${relay.port}`, database, username: user, ...(password ? { password } : {}), schema, timeout } };
}

/** `storage.mysql` through `relay`, in a database of its own (dropped after the file). */
async function mysqlThrough(relay: TcpRelay, timeout = '2s'): Promise<Record<string, unknown>> {
  const database = await freshDatabase();
  databases.push(database);
  const { user, password } = testMysql;
  return { mysql: { address: `tcp://${relay.host}:${relay.port}`, database, username: user, ...(password ? { password } : {}), timeout } };
}

/** An upstream for the proxied site, counting the requests that reach it. */
async function upstream(): Promise<{ url: string; hits: () => number }> {
  let hits = 0;
  const server: Server = createServer((_req, res) => {
    hits++;
    res.end('upstream');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, hits: () => hits };
}

const inject = (gateway: Gateway, options: { method?: 'GET' | 'POST'; url: string; headers?: Record<string, string>; payload?: string }) =>
  injectListener(gateway, {
    method: options.method ?? 'GET',
    url: options.url,
    headers: { host: portalHost, ...options.headers },
    payload: options.payload,
    remoteAddress: '127.0.0.1',
  });

const basic = `Basic ${Buffer.from(`robot:${secret}`).toString('base64')}`;
const form = { 'content-type': 'application/x-www-form-urlencoded', authorization: basic };

/** POST /api/oidc/token: client credentials for `robot`. */
const tokenRequest = (gateway: Gateway) => inject(gateway, { method: 'POST', url: '/api/oidc/token', headers: form, payload: 'grant_type=client_credentials' });

/** Forward-auth for http://app.gatehouse.localhost/, as Traefik asks, with `headers` (a cookie or a bearer token). */
const forwardAuth = (gateway: Gateway, headers: Record<string, string>) =>
  inject(gateway, {
    url: '/api/authz/forward-auth',
    headers: {
      accept: 'text/html',
      'x-forwarded-method': 'GET',
      'x-forwarded-proto': 'http',
      'x-forwarded-host': 'app.gatehouse.localhost',
      'x-forwarded-uri': '/',
      ...headers,
    },
  });

/** A request to the proxied site over the gateway's real listener (proxy mode is not reachable through inject). */
async function proxied(gateway: Gateway, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  const url = new URL(gateway.url);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: url.hostname, port: url.port, path: '/', headers: { host: 'proxied.gatehouse.localhost', accept: 'text/html', ...headers } },
      (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject).end();
  });
}

/** `/api/health` a probe interval later (the answer of the previous probe is shared for that long). */
async function health(gateway: Gateway, clock: ManualClock): Promise<{ status: number; body: string }> {
  clock.advance(healthProbeInterval);
  const reply = await inject(gateway, { url: '/api/health' });
  expect(reply.headers['cache-control']).toBe('no-store');
  return { status: reply.statusCode, body: reply.body };
}

/** Polls `check` every 50 ms until it holds; fails after `ms` of real time. */
async function until(check: () => Promise<boolean>, what: string, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const since = String.raw`since \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z`;

describe('storage.postgres lost while running', () => {
  beforeEach((ctx) => {
    if (pgSkip) ctx.skip(pgSkip);
  });
  afterAll(async () => {
    for (const schema of schemas) await dropSchema(schema);
  });

  it('fails closed everywhere with 503 while the relay is cut, reports it at /api/health, and serves again once it is restored', async () => {
    const relay = await startTcpRelay(testPostgres);
    const site = await upstream();
    const clock = new ManualClock(Date.now());
    const gateway = await startTestGateway(world(postgresThrough(relay), {}, site.url), { clock });
    const token = (await tokenRequest(gateway)).json().access_token as string;
    const bearer = { authorization: `Bearer ${token}` };
    const portal = new PortalClient(gateway);
    expect((await portal.login()).status).toBe(200);
    const cookie = { cookie: portal.cookie! };
    expect((await forwardAuth(gateway, bearer)).statusCode).toBe(200);
    expect((await forwardAuth(gateway, cookie)).statusCode).toBe(200);
    expect(await proxied(gateway, bearer)).toEqual({ status: 200, body: 'upstream' });
    expect((await health(gateway, clock)).status).toBe(200);

    relay.cut();
    clock.advance(sessionCacheTtl); // past the in-process session cache: the next read goes to the store
    // Forward-auth and the proxy: never 200 for what they cannot verify.
    for (let i = 0; i < 3; i++) {
      const refused = await forwardAuth(gateway, bearer);
      expect(refused.statusCode).toBe(503);
      expect(refused.json()).toEqual({ status: 'KO', message: storageDown });
      expect((await forwardAuth(gateway, cookie)).statusCode).toBe(503);
    }
    const hitsBefore = site.hits();
    const proxyRefused = await proxied(gateway, bearer);
    expect(proxyRefused.status).toBe(503);
    expect(proxyRefused.body).toContain('503 Service Unavailable');
    expect(site.hits()).toBe(hitsBefore);
    // The portal: its API answers the KO body, its pages an error page (with the portal's headers).
    const apiLogin = await new PortalClient(gateway).login();
    expect(apiLogin.status).toBe(503);
    expect(apiLogin.json()).toEqual({ status: 'KO', message: storageDown });
    const formLogin = await new PortalClient(gateway).postForm('/login', { username: 'john', password: 'password' });
    expect(formLogin.status).toBe(503);
    expect(formLogin.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(formLogin.headers['content-security-policy']).toBeDefined();
    expect(formLogin.body).toContain('Temporarily unavailable');
    expect(formLogin.body).toContain(storageDown);
    // OpenID Connect: temporarily_unavailable with 503 at the JSON endpoints…
    const temporarilyUnavailable = { error: 'temporarily_unavailable', error_description: storageDown };
    const token503 = await tokenRequest(gateway);
    expect(token503.statusCode).toBe(503);
    expect(token503.headers['cache-control']).toBe('no-store');
    expect(token503.json()).toEqual(temporarilyUnavailable);
    for (const url of ['/api/oidc/introspection', '/api/oidc/revocation']) {
      const reply = await inject(gateway, { method: 'POST', url, headers: form, payload: `token=${token}` });
      expect([url, reply.statusCode, reply.json()]).toEqual([url, 503, temporarilyUnavailable]);
    }
    const userinfo = await inject(gateway, { url: '/api/oidc/userinfo', headers: bearer });
    expect([userinfo.statusCode, userinfo.json()]).toEqual([503, temporarilyUnavailable]);
    // …and at the authorization endpoint: a redirect to the client once its redirect_uri is
    // validated (RFC 6749 §4.1.2.1), the error page when the store failed before that (the session).
    const authorize = `/api/oidc/authorization?${new URLSearchParams({ client_id: 'app', redirect_uri: callback, response_type: 'code', scope: 'openid', state: 'state-s1' })}`;
    const redirected = await inject(gateway, { url: authorize });
    expect(redirected.statusCode).toBe(302);
    const location = new URL(String(redirected.headers.location));
    expect(`${location.origin}${location.pathname}`).toBe(callback);
    expect(Object.fromEntries(location.searchParams)).toMatchObject({ error: 'temporarily_unavailable', state: 'state-s1' });
    const page = await inject(gateway, { url: authorize, headers: cookie });
    expect(page.statusCode).toBe(503);
    expect(page.body).toContain('temporarily_unavailable');
    // Health: which store, since when, why — and no address.
    const down = await health(gateway, clock);
    expect(down.status).toBe(503);
    const { status, message } = JSON.parse(down.body) as { status: string; message: string };
    expect(status).toBe('KO');
    expect(message).toMatch(new RegExp(`^storage\\.postgres is unavailable ${since}: (connection reset \\(ECONNRESET\\)|connection lost)$`));
    expect(message).not.toContain(String(relay.port));

    relay.restore();
    const connections = relay.accepted;
    await until(async () => (await forwardAuth(gateway, bearer)).statusCode === 200, 'forward-auth to allow the bearer token again');
    expect(relay.accepted).toBeGreaterThan(connections); // the pool opened new connections by itself
    expect((await health(gateway, clock)).status).toBe(200);
    expect((await forwardAuth(gateway, cookie)).statusCode).toBe(200);
    expect(await proxied(gateway, bearer)).toEqual({ status: 200, body: 'upstream' });
    expect((await new PortalClient(gateway).login()).status).toBe(200);
    expect((await tokenRequest(gateway)).statusCode).toBe(200);
    const code = new URL(String((await inject(gateway, { url: authorize, headers: cookie })).headers.location)).searchParams.get('code');
    expect(code).toBeTruthy();
  });

  it('gives up within the timeout when PostgreSQL stops answering without closing (a stalled network): health and requests never hang', async () => {
    const relay = await startTcpRelay(testPostgres);
    const clock = new ManualClock(Date.now());
    const gateway = await startTestGateway(world(postgresThrough(relay, '1s')), { clock });
    const token = (await tokenRequest(gateway)).json().access_token as string;
    const bearer = { authorization: `Bearer ${token}` };
    expect((await forwardAuth(gateway, bearer)).statusCode).toBe(200);

    relay.stall();
    // The pool's idle connection is stalled too: its statement is given up by the pool's read
    // timeout (1 s more than the statement's), the connection discarded.
    let started = performance.now();
    const refused = await forwardAuth(gateway, bearer);
    expect(performance.now() - started).toBeLessThan(4_000);
    expect(refused.statusCode).toBe(503);
    started = performance.now();
    const down = await health(gateway, clock);
    expect(performance.now() - started).toBeLessThan(2_500); // the probe's deadline: storage.postgres.timeout (1 s)
    expect(down.status).toBe(503);
    expect(JSON.parse(down.body).message).toMatch(
      new RegExp(`^storage\\.postgres is unavailable ${since}: no answer within 1 s \\(storage\\.postgres\\.timeout\\)$`),
    );

    relay.restore();
    await until(async () => (await forwardAuth(gateway, bearer)).statusCode === 200, 'forward-auth to allow again');
    expect((await health(gateway, clock)).status).toBe(200);
  });
});

describe('storage.mysql lost while running', () => {
  beforeEach((ctx) => {
    if (mysqlSkip) ctx.skip(mysqlSkip);
  });
  afterAll(async () => {
    for (const database of databases) await dropDatabase(database);
  });

  it('fails closed with 503 while the relay is cut (forward-auth, proxy, portal, OpenID Connect), names storage.mysql at /api/health, and serves again once it is restored', async () => {
    const relay = await startTcpRelay(testMysql);
    const site = await upstream();
    const clock = new ManualClock(Date.now());
    const gateway = await startTestGateway(world(await mysqlThrough(relay), {}, site.url), { clock });
    const token = (await tokenRequest(gateway)).json().access_token as string;
    const bearer = { authorization: `Bearer ${token}` };
    const portal = new PortalClient(gateway);
    expect((await portal.login()).status).toBe(200);
    const cookie = { cookie: portal.cookie! };
    expect((await forwardAuth(gateway, bearer)).statusCode).toBe(200);
    expect((await forwardAuth(gateway, cookie)).statusCode).toBe(200);
    expect((await health(gateway, clock)).status).toBe(200);

    relay.cut();
    clock.advance(sessionCacheTtl); // past the in-process session cache: the next read goes to the store
    for (let i = 0; i < 3; i++) {
      const refused = await forwardAuth(gateway, bearer);
      expect(refused.statusCode).toBe(503);
      expect(refused.json()).toEqual({ status: 'KO', message: storageDown });
      expect((await forwardAuth(gateway, cookie)).statusCode).toBe(503);
    }
    const hitsBefore = site.hits();
    expect((await proxied(gateway, bearer)).status).toBe(503);
    expect(site.hits()).toBe(hitsBefore);
    const apiLogin = await new PortalClient(gateway).login();
    expect([apiLogin.status, apiLogin.json()]).toEqual([503, { status: 'KO', message: storageDown }]);
    const token503 = await tokenRequest(gateway);
    expect([token503.statusCode, token503.json()]).toEqual([503, { error: 'temporarily_unavailable', error_description: storageDown }]);
    const down = await health(gateway, clock);
    expect(down.status).toBe(503);
    const { message } = JSON.parse(down.body) as { message: string };
    expect(message).toMatch(
      new RegExp(`^storage\\.mysql is unavailable ${since}: (connection reset \\(ECONNRESET\\)|connection lost.*|connection refused.*)$`),
    );
    expect(message).not.toContain(String(relay.port));

    relay.restore();
    const connections = relay.accepted;
    await until(async () => (await forwardAuth(gateway, bearer)).statusCode === 200, 'forward-auth to allow the bearer token again');
    expect(relay.accepted).toBeGreaterThan(connections); // the pool opened new connections by itself
    expect((await health(gateway, clock)).status).toBe(200);
    expect((await forwardAuth(gateway, cookie)).statusCode).toBe(200);
    expect(await proxied(gateway, bearer)).toEqual({ status: 200, body: 'upstream' });
    expect((await new PortalClient(gateway).login()).status).toBe(200);
    expect((await tokenRequest(gateway)).statusCode).toBe(200);
  });

  it('gives up within the timeout when MySQL stops answering without closing (a stalled network): health and requests never hang', async () => {
    const relay = await startTcpRelay(testMysql);
    const clock = new ManualClock(Date.now());
    const gateway = await startTestGateway(world(await mysqlThrough(relay, '1s')), { clock });
    const token = (await tokenRequest(gateway)).json().access_token as string;
    const bearer = { authorization: `Bearer ${token}` };
    expect((await forwardAuth(gateway, bearer)).statusCode).toBe(200);

    relay.stall();
    let started = performance.now();
    const refused = await forwardAuth(gateway, bearer);
    expect(performance.now() - started).toBeLessThan(4_000);
    expect(refused.statusCode).toBe(503);
    started = performance.now();
    const down = await health(gateway, clock);
    expect(performance.now() - started).toBeLessThan(2_500); // the probe's deadline: storage.mysql.timeout (1 s)
    expect(down.status).toBe(503);
    expect(JSON.parse(down.body).message).toMatch(new RegExp(`^storage\\.mysql is unavailable ${since}: no answer within 1 s \\(storage\\.mysql\\.timeout\\)`));

    relay.restore();
    await until(async () => (await forwardAuth(gateway, bearer)).statusCode === 200, 'forward-auth to allow again');
    expect((await health(gateway, clock)).status).toBe(200);
  });
});

describe.skipIf(!redisInstalled)('session.redis lost while running', () => {
  it('portal and OpenID Connect answer 503 (its page, its KO body, temporarily_unavailable), /api/health names session.redis, and all serve again once Redis is back', async () => {
    const redis = await ownRedisServer();
    const clock = new ManualClock(Date.now());
    const dir = tempDir();
    const gateway = await startTestGateway(
      world({ local: { path: join(dir, 'db.sqlite3') } }, { redis: { host: redis.host, port: redis.port, timeout: '1s' } }),
      {
        clock,
      },
    );
    const portal = new PortalClient(gateway);
    expect((await portal.login()).status).toBe(200);
    const cookie = { cookie: portal.cookie! };
    expect((await health(gateway, clock)).status).toBe(200);

    await redis.kill();
    await until(async () => (await health(gateway, clock)).status === 503, '/api/health to report Redis');
    const down = JSON.parse((await health(gateway, clock)).body) as { status: string; message: string };
    expect(down.message).toMatch(new RegExp(`^session\\.redis is unavailable ${since}: connection lost$`));
    expect(down.message).not.toContain(String(redis.port));
    const apiLogin = await new PortalClient(gateway).login();
    expect([apiLogin.status, apiLogin.json()]).toEqual([503, { status: 'KO', message: sessionsDown }]);
    const page = await inject(gateway, { url: '/', headers: cookie });
    expect(page.statusCode).toBe(503);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.body).toContain(sessionsDown);
    const authorize = `/api/oidc/authorization?${new URLSearchParams({ client_id: 'app', redirect_uri: callback, response_type: 'code', scope: 'openid' })}`;
    const refused = await inject(gateway, { url: authorize, headers: cookie });
    expect(refused.statusCode).toBe(503);
    expect(refused.body).toContain('temporarily_unavailable');
    expect(refused.body).not.toContain('server_error');

    await redis.start();
    await until(async () => (await health(gateway, clock)).status === 200, '/api/health to be healthy again');
    expect((await forwardAuth(gateway, cookie)).statusCode).toBe(200);
    expect((await inject(gateway, { url: authorize, headers: cookie })).statusCode).toBe(302);
    expect((await new PortalClient(gateway).login()).status).toBe(200);
  });
});
