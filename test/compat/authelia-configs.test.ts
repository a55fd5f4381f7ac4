import { generateKeyPairSync } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config/config.js';
import { loadConfig } from '../../src/config/load.js';
import type { Gateway } from '../../src/server/gateway.js';
import { ConfigError } from '../../src/shared/errors.js';
import { tempDir } from '../helpers/config.js';
import { injectListener, startTestGateway } from '../helpers/gateway.js';
import { quickDigest } from '../helpers/portal.js';
import { dropSchema, freshSchemaName, postgresSkipReason, testPostgres } from '../helpers/postgres.js';
import { redisAvailable, testRedis } from '../helpers/redis.js';

/**
 * Configurations shaped like Authelia's published ones (test/fixtures/authelia/configs/), each
 * loaded as a user would start it — secrets from `AUTHELIA_*_FILE`, a free port from
 * `AUTHELIA_SERVER_ADDRESS` — then started, signed in to and asked at its authorization endpoint.
 */
const fixtures = new URL('../fixtures/authelia/configs/', import.meta.url);
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

interface Loaded {
  readonly config: Config;
  readonly warnings: readonly string[];
  readonly dir: string;
}

/** Copies the corpus to a fresh folder (markers filled in), writes the secrets, and loads `name`. */
function load(name: string, env: Record<string, string> = {}): Loaded {
  const dir = tempDir();
  const secrets = {
    SESSION_SECRET: 'a-session-secret-of-the-compatibility-test',
    STORAGE_ENCRYPTION_KEY: 'a-storage-key-of-the-compatibility-test',
    IDENTITY_VALIDATION_RESET_PASSWORD_JWT_SECRET: 'a-jwt-secret-of-the-compatibility-test',
    // Set only for a file with the provider: like Authelia, the variable alone configures it.
    ...(name === 'oidc.yml' ? { IDENTITY_PROVIDERS_OIDC_HMAC_SECRET: 'an-hmac-secret-of-the-compatibility-test-0123456789' } : {}),
  };
  const fileEnv: Record<string, string> = {};
  for (const [key, value] of Object.entries(secrets)) {
    const file = join(dir, key.toLowerCase());
    writeFileSync(file, `${value}\n`);
    fileEnv[`AUTHELIA_${key}_FILE`] = file;
  }
  const markers: Record<string, string> = {
    PASSWORD_DIGEST: quickDigest('password'),
    CLIENT_SECRET_DIGEST: quickDigest('grafana-client-secret'),
    JWKS_KEY: `|\n${pem
      .trim()
      .split('\n')
      .map((line) => `          ${line}`)
      .join('\n')}`,
  };
  for (const file of readdirSync(fixtures)) {
    if (!file.endsWith('.yml')) continue;
    const text = readFileSync(new URL(file, fixtures), 'utf8').replace(/\{\{ (\w+) \}\}/g, (_, marker: string) => markers[marker] ?? '');
    writeFileSync(join(dir, file), text);
  }
  const loaded = loadConfig(join(dir, name), { AUTHELIA_SERVER_ADDRESS: 'tcp://127.0.0.1:0', ...fileEnv, ...env });
  return { ...loaded, dir };
}

/** The problems a configuration is refused with. */
function refusal(name: string): readonly string[] {
  try {
    load(name);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error(`${name} was expected to be refused`);
}

interface Reply {
  readonly status: number;
  readonly headers: Record<string, string | string[] | number | undefined>;
  readonly body: string;
}

/** A request to the gateway as the proxy in front of it sends it: over https, from loopback (trusted). */
async function send(
  gateway: Gateway,
  host: string,
  url: string,
  options: { method?: 'GET' | 'POST'; headers?: Record<string, string>; body?: unknown } = {},
): Promise<Reply> {
  const response = await injectListener(gateway, {
    method: options.method ?? 'GET',
    url,
    headers: {
      host,
      'x-forwarded-proto': 'https',
      ...(options.body === undefined ? {} : { 'content-type': 'application/json', origin: `https://${host}`, 'sec-fetch-site': 'same-origin' }),
      ...options.headers,
    },
    ...(options.body === undefined ? {} : { payload: JSON.stringify(options.body) }),
  });
  return { status: response.statusCode, headers: response.headers, body: response.body };
}

/** Signs john in at the portal `host` (under `base`); returns the session cookie (`name=value`). */
async function signIn(gateway: Gateway, host: string, base = ''): Promise<string> {
  const reply = await send(gateway, host, `${base}/api/firstfactor`, {
    method: 'POST',
    body: { username: 'john', password: 'password', keepMeLoggedIn: false },
  });
  expect(reply.status, reply.body).toBe(200);
  const cookie = [reply.headers['set-cookie']].flat().find((line) => typeof line === 'string' && !line.includes('=;'));
  expect(cookie).toBeDefined();
  return String(cookie).split(';')[0]!;
}

/** Traefik's and Caddy's forward-auth request for `https://<host>/` at `endpoint`. */
function forwardAuth(gateway: Gateway, endpoint: string, host: string, headers: Record<string, string> = {}): Promise<Reply> {
  return send(gateway, 'gatehouse:9091', endpoint, {
    headers: {
      accept: 'text/html',
      'x-forwarded-method': 'GET',
      'x-forwarded-host': host,
      'x-forwarded-uri': '/',
      'x-forwarded-for': '203.0.113.7',
      ...headers,
    },
  });
}

describe('Authelia-shaped configurations start unchanged, with a login', () => {
  it('standalone: file users, SQLite, filesystem notifier; forward-auth and auth-request', async () => {
    const { config, warnings } = load('standalone.yml');
    expect(warnings).toEqual([]);
    expect(config.session.cookies[0]).toMatchObject({ expiration: 3_600_000, inactivity: 300_000, rememberMe: 30 * 86_400_000 });
    const gateway = await startTestGateway(config);
    const cookie = await signIn(gateway, 'login.example.com');
    const allowed = await forwardAuth(gateway, '/api/authz/forward-auth', 'singlefactor.example.com', { cookie });
    expect(allowed.status).toBe(200);
    expect(allowed.headers['remote-user']).toBe('john');
    expect(allowed.headers['remote-groups']).toBe('admins,dev');
    expect((await forwardAuth(gateway, '/api/authz/forward-auth', 'admin.example.com', { cookie })).status).toBe(200);
    expect((await forwardAuth(gateway, '/api/authz/forward-auth', 'secure.example.com', { cookie })).status).toBe(302);
    expect((await forwardAuth(gateway, '/api/authz/forward-auth', 'public.example.com')).status).toBe(200);
    const nginx = await send(gateway, 'gatehouse:9091', '/api/authz/auth-request', {
      headers: { 'x-original-url': 'https://singlefactor.example.com/', 'x-original-method': 'GET', 'x-forwarded-for': '203.0.113.7', cookie },
    });
    expect(nginx.status).toBe(200);
  });

  it('caddy: a named endpoint (/api/authz/caddy) with Basic and the cookie', async () => {
    const { config } = load('caddy.yml');
    const gateway = await startTestGateway(config);
    const cookie = await signIn(gateway, 'auth.example.com');
    expect((await forwardAuth(gateway, '/api/authz/caddy', 'app.example.com', { cookie })).headers['remote-user']).toBe('john');
    const basic = await forwardAuth(gateway, '/api/authz/caddy', 'app.example.com', {
      authorization: `Basic ${Buffer.from('john:password').toString('base64')}`,
    });
    expect(basic.status).toBe(200);
    expect((await forwardAuth(gateway, '/api/authz/forward-auth', 'app.example.com', { cookie })).status).toBe(404);
  });

  it('path-prefix: the portal, its API and the endpoints under /auth', async () => {
    const { config } = load('path-prefix.yml', { AUTHELIA_SERVER_ADDRESS: 'tcp://127.0.0.1:0/auth' });
    const gateway = await startTestGateway(config);
    const cookie = await signIn(gateway, 'example.com', '/auth');
    const allowed = await forwardAuth(gateway, '/auth/api/authz/forward-auth', 'app.example.com', { cookie });
    expect(allowed.headers['remote-user']).toBe('john');
    expect((await send(gateway, 'example.com', '/auth/api/health')).status).toBe(200);
    // As in Authelia, a proxy that calls the endpoint without the path is answered too.
    expect((await forwardAuth(gateway, '/api/authz/forward-auth', 'app.example.com', { cookie })).status).toBe(200);
  });

  it('short-timeouts: lifetimes written in words', async () => {
    const { config } = load('short-timeouts.yml');
    expect(config.session.cookies[0]).toMatchObject({ inactivity: 30_000, rememberMe: 60_000 });
    expect(config.regulation).toMatchObject({ findTime: 10_000, banTime: 60_000 });
    expect(config.server.timeouts).toEqual({ read: 6_000, write: 6_000, idle: 30_000 });
    const gateway = await startTestGateway(config);
    await signIn(gateway, 'login.example.com');
  });

  it('multi-cookie-domain: two domains, each with its own cookie name', async () => {
    const { config } = load('multi-cookie-domain.yml');
    expect(config.session.cookies.map((c) => c.name)).toEqual(['authelia_session', 'example2_session']);
    const gateway = await startTestGateway(config);
    const first = await signIn(gateway, 'login.example.com');
    const second = await signIn(gateway, 'login.example2.com');
    expect(first.startsWith('authelia_session=')).toBe(true);
    expect(second.startsWith('example2_session=')).toBe(true);
    expect((await forwardAuth(gateway, '/api/authz/forward-auth', 'app.example2.com', { cookie: second })).status).toBe(200);
  });

  it('network-acl: a named network bypasses, the rest must sign in', async () => {
    const { config } = load('network-acl.yml');
    const gateway = await startTestGateway(config);
    expect((await forwardAuth(gateway, '/api/authz/forward-auth', 'secure.example.com', { 'x-forwarded-for': '192.168.240.20' })).status).toBe(200);
    expect((await forwardAuth(gateway, '/api/authz/forward-auth', 'secure.example.com')).status).toBe(302);
  });

  it('oidc: jwks, lifespans in words, a digest client secret; discovery served', async () => {
    const { config } = load('oidc.yml');
    const gateway = await startTestGateway(config);
    const discovery = await send(gateway, 'login.example.com', '/.well-known/openid-configuration');
    expect(discovery.status).toBe(200);
    expect(JSON.parse(discovery.body)).toMatchObject({ issuer: 'https://login.example.com' });
    const jwks = JSON.parse((await send(gateway, 'login.example.com', '/jwks.json')).body) as { keys: { kid: string }[] };
    expect(jwks.keys.map((k) => k.kid)).toContain('main');
    await signIn(gateway, 'login.example.com');
  });

  it('duo: refused with one line that names the feature', () => {
    expect(refusal('duo.yml')).toEqual(['duo_api: is an Authelia option that Gatehouse does not support yet (Duo push)']);
  });
});

describe('Authelia-shaped configuration for several instances (PostgreSQL and Redis)', async () => {
  const skip = (await postgresSkipReason()) !== undefined || !(await redisAvailable('authelia-configs'));
  const schema = freshSchemaName();
  afterAll(async () => {
    if (!skip) await dropSchema(schema);
  });

  it.skipIf(skip)('postgres-redis: storage and sessions from the environment, as a compose file passes them', async () => {
    const { config } = load('postgres-redis.yml', {
      AUTHELIA_STORAGE_POSTGRES_ADDRESS: `tcp://${testPostgres.host}:${testPostgres.port}`,
      AUTHELIA_STORAGE_POSTGRES_DATABASE: testPostgres.database,
      AUTHELIA_STORAGE_POSTGRES_SCHEMA: schema,
      AUTHELIA_STORAGE_POSTGRES_USERNAME: testPostgres.user,
      AUTHELIA_SESSION_REDIS_HOST: testRedis.host,
      AUTHELIA_SESSION_REDIS_PORT: String(testRedis.port),
      AUTHELIA_SESSION_REDIS_DATABASE_INDEX: '11',
    });
    const gateway = await startTestGateway(config);
    const cookie = await signIn(gateway, 'login.example.com');
    expect((await forwardAuth(gateway, '/api/authz/forward-auth', 'app.example.com', { cookie })).headers['remote-user']).toBe('john');
  });
});
