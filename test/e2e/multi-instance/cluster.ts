import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { dump } from 'js-yaml';
import * as client from 'openid-client';
import { expect } from 'vitest';
import { type Served, spawnServe } from '../../helpers/cli.js';
import { Browser, loopbackFetch } from '../../helpers/oidc.js';
import { postgresSkipReason, query, testPostgres } from '../../helpers/postgres.js';
import { quickDigest } from '../../helpers/portal.js';
import { redisAvailable, testRedis } from '../../helpers/redis.js';
import { freePort } from '../../helpers/ports.js';

export const domain = 'gatehouse.localhost';
export const portalHost = `auth.${domain}`;
export const issuer = `http://${portalHost}`;
/** A site of policy `one_factor`. */
export const oneFactorHost = `app.${domain}`;
/** A site of policy `two_factor`. */
export const twoFactorHost = `secure.${domain}`;
/** Where the relying parties say their code goes (never called: the test reads the redirect). */
export const callback = `http://rp.${domain}/callback`;
export const clientSecret = 'multi-instance-client-secret-0123456789';
export const sameOrigin = { origin: issuer, 'sec-fetch-site': 'same-origin' };
/** `regulation.max_retries`. */
export const maxRetries = 3;
/** The Redis database the two instances share (flushed before and after the file; bench/ uses 14). */
export const redisDatabase = 11;

/** The passwords in the users file. */
export const passwords = { john: 'john-password', bob: 'bob-password', alice: 'alice-password' } as const;
export type Username = keyof typeof passwords;
export type ClientId = 'rp-a' | 'rp-b';

/**
 * Whether the shared Redis and PostgreSQL both answer. In CI (`CI=true`) both are mandatory and a
 * missing one throws (the file fails loudly); elsewhere the reason is printed and the file skips.
 */
export async function servicesAvailable(suite: string): Promise<boolean> {
  const redis = await redisAvailable(suite);
  const postgres = (await postgresSkipReason()) === undefined;
  return redis && postgres;
}

/** Empties the Redis database the instances share (before the file, and after it). */
export async function flushRedisDatabase(): Promise<void> {
  const redis = new Redis({ ...testRedis, db: redisDatabase, lazyConnect: true, retryStrategy: () => null });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    await redis.flushdb();
  } finally {
    redis.disconnect();
  }
}

/** The key IDs of the signing keys stored in `schema` (read beside Gatehouse), sorted. */
export async function storedKids(schema: string): Promise<string[]> {
  return (await query<{ kid: string }>(`SELECT kid FROM ${schema}.oidc_signing_keys ORDER BY kid`)).map((row) => row.kid);
}

/** How many back-channel logouts are queued in `schema` (read beside Gatehouse). */
export async function queuedLogouts(schema: string): Promise<number> {
  const [row] = await query<{ n: string }>(`SELECT COUNT(*) AS n FROM ${schema}.oidc_logout_deliveries`);
  return Number(row!.n);
}

/**
 * The one configuration file both instances read: sessions in Redis (database
 * {@link redisDatabase}), storage in PostgreSQL (`schema`), users john, bob and alice (each with an
 * e-mail address, so each can enrol TOTP), a notifier file, a one_factor and a two_factor site,
 * regulation after {@link maxRetries} failures, and two confidential OpenID Connect clients `rp-a`
 * and `rp-b` (explicit consent, refresh tokens, a `backchannel_logout_uri` each).
 */
function writeConfig(dir: string, schema: string, backchannel: Readonly<Record<ClientId, string>>) {
  const usersFile = join(dir, 'users.yml');
  const user = (name: Username) => ({
    displayname: name[0]!.toUpperCase() + name.slice(1),
    password: quickDigest(passwords[name]),
    email: `${name}@${domain}`,
  });
  writeFileSync(
    usersFile,
    dump({ users: { john: { ...user('john'), groups: ['dev'] }, bob: { ...user('bob'), groups: [] }, alice: { ...user('alice'), groups: ['ops'] } } }),
  );
  const notifications = join(dir, 'notifications.txt');
  const rp = (id: ClientId) => ({
    client_id: id,
    client_secret: clientSecret,
    authorization_policy: 'one_factor',
    consent_mode: 'explicit',
    redirect_uris: [callback],
    grant_types: ['authorization_code', 'refresh_token'],
    scopes: ['openid', 'profile', 'email', 'groups', 'offline_access'],
    token_endpoint_auth_method: 'client_secret_basic',
    backchannel_logout_uri: backchannel[id],
  });
  const raw = {
    server: { address: 'tcp://127.0.0.1:0' },
    log: { level: 'info', format: 'text' },
    session: {
      secret: 'a-very-long-multi-instance-session-secret',
      expiration: '1h',
      inactivity: '30m',
      cookies: [{ domain, portal_url: issuer, default_redirection_url: `http://home.${domain}` }],
      redis: { host: testRedis.host, port: testRedis.port, database_index: redisDatabase },
    },
    storage: {
      encryption_key: 'a-very-long-multi-instance-encryption-key',
      postgres: {
        address: `tcp://${testPostgres.host}:${testPostgres.port}`,
        database: testPostgres.database,
        schema,
        username: testPostgres.user,
        ...(testPostgres.password === undefined ? {} : { password: testPostgres.password }),
      },
    },
    authentication_backend: { file: { path: usersFile } },
    notifier: { filesystem: { filename: notifications } },
    access_control: {
      default_policy: 'deny',
      rules: [
        { domain: portalHost, policy: 'bypass' },
        { domain: oneFactorHost, policy: 'one_factor' },
        { domain: twoFactorHost, policy: 'two_factor' },
      ],
    },
    regulation: { modes: ['user'], max_retries: maxRetries, find_time: '2m', ban_time: '5m' },
    identity_providers: { oidc: { hmac_secret: 'a-very-long-hmac-secret-for-multi-instance', clients: [rp('rp-a'), rp('rp-b')] } },
  };
  const file = join(dir, 'gatehouse.yml');
  writeFileSync(file, dump(raw));
  return { file, notifications };
}

/** One `gatehouse serve` process of the pair. */
export interface Instance {
  readonly name: 'A' | 'B';
  readonly url: string;
  /** A fetch to this instance that keeps the URL's host in `Host`. */
  readonly fetch: ReturnType<typeof loopbackFetch>;
  /** What the process has written so far (text log lines). */
  readonly output: () => string;
}

/** How long a stopping instance may take before it is killed. */
const stopTimeout = 5_000;

/** Stops a `gatehouse serve` (SIGTERM: a graceful stop), killing it if it takes too long. */
async function stopServe(served: { child: Served['child'] }): Promise<void> {
  const { child } = served;
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), stopTimeout);
  await exited;
  clearTimeout(timer);
}

/**
 * Two `gatehouse serve` processes, A and B, on free loopback ports, started together on one
 * configuration file in a fresh folder (so they also race to migrate `schema` and to make the
 * signing keys). The clients' `backchannel_logout_uri`s name two free ports where a test starts
 * its receivers (`startReceiver(answer, receiverPorts[clientId])`). Outlives the tests of a file:
 * `stop` ends both processes and removes the folder (call it in `afterAll`).
 */
export async function startCluster(schema: string) {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-multi-instance-'));
  const receiverPorts = { 'rp-a': await freePort(), 'rp-b': 0 };
  while (receiverPorts['rp-b'] === 0 || receiverPorts['rp-b'] === receiverPorts['rp-a']) receiverPorts['rp-b'] = await freePort();
  const backchannel = (id: ClientId) => `http://127.0.0.1:${receiverPorts[id]}/backchannel`;
  const { file, notifications } = writeConfig(dir, schema, { 'rp-a': backchannel('rp-a'), 'rp-b': backchannel('rp-b') });
  const spawned = [spawnServe(['--config', file]), spawnServe(['--config', file])] as const;
  const stopAll = async () => {
    await Promise.all(spawned.map(stopServe));
    rmSync(dir, { recursive: true, force: true });
  };
  const instance = (name: 'A' | 'B', served: Served): Instance => ({ name, url: served.url, fetch: loopbackFetch(new URL(served.url)), output: served.output });
  try {
    const [a, b] = await Promise.all([spawned[0].listening, spawned[1].listening]);
    return { a: instance('A', a), b: instance('B', b), notifications, receiverPorts, stop: stopAll };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

export type Cluster = Awaited<ReturnType<typeof startCluster>>;

/**
 * A browser stand-in (one cookie jar) behind a load balancer that the test steers: each request
 * goes to the instance last given to {@link via}.
 */
export class RoutedBrowser extends Browser {
  readonly #route: { to: Instance };

  constructor(first: Instance) {
    const route = { to: first };
    super((url, init) => route.to.fetch(url, init));
    this.#route = route;
  }

  /** Sends the next requests to `instance`. */
  via(instance: Instance): this {
    this.#route.to = instance;
    return this;
  }
}

/** What forward-auth (as Traefik asks it) answers on `instance` for a GET of `http://host/` with `cookie`. */
export async function forwardAuth(instance: Instance, cookie: string | undefined, host = oneFactorHost) {
  const answer = await instance.fetch(`${issuer}/api/authz/forward-auth`, {
    headers: {
      accept: 'text/html',
      'x-forwarded-method': 'GET',
      'x-forwarded-proto': 'http',
      'x-forwarded-host': host,
      'x-forwarded-uri': '/',
      ...(cookie ? { cookie } : {}),
    },
  });
  return { status: answer.status, headers: answer.headers };
}

/** `POST /api/firstfactor` as the portal's script does; the answer's status and JSON body. */
export async function firstFactor(browser: RoutedBrowser, username: Username, password: string = passwords[username]) {
  const answer = await browser.login(username, password);
  return { status: answer.status, body: (await answer.json()) as { status: string; message?: string } };
}

/** `POST` of JSON to the portal API with the browser's cookie, same origin. */
export async function postJson(instance: Instance, browser: Browser, path: string, body: unknown) {
  const answer = await instance.fetch(`${issuer}${path}`, {
    method: 'POST',
    body: JSON.stringify(body),
    headers: { 'content-type': 'application/json', ...sameOrigin, ...(browser.cookie ? { cookie: browser.cookie } : {}) },
  });
  for (const line of answer.headers.getSetCookie()) {
    const [pair] = line.split(';');
    browser.cookie = pair!.endsWith('=') ? undefined : pair;
  }
  return { status: answer.status, body: (await answer.json()) as { status: string; message?: string; data?: Record<string, unknown> } };
}

/** openid-client's configuration for `clientId` (client_secret_basic), talking to `instance` only. */
export async function relyingParty(instance: Instance, clientId: ClientId): Promise<client.Configuration> {
  const custom = instance.fetch as unknown as client.CustomFetch;
  const config = await client.discovery(new URL(issuer), clientId, {}, client.ClientSecretBasic(clientSecret), {
    execute: [client.allowInsecureRequests],
    [client.customFetch]: custom,
  });
  config[client.customFetch] = custom;
  return config;
}

/**
 * An authorization code flow of `rp` in `browser` (already signed in): the authorization request
 * goes to `steps.authorize`, the consent to `steps.consent`, the resumed request back to
 * `steps.authorize`; openid-client redeems the code with `rp` (PKCE, state and nonce checked).
 */
export async function authorize(
  browser: RoutedBrowser,
  rp: client.Configuration,
  steps: { authorize: Instance; consent: Instance },
  scope = 'openid profile email offline_access',
) {
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const url = client.buildAuthorizationUrl(rp, {
    redirect_uri: callback,
    scope,
    state,
    nonce,
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
  });
  const toConsent = new URL((await browser.via(steps.authorize).get(url)).headers.get('location')!, issuer);
  expect(toConsent.pathname).toBe('/consent');
  const accepted = await browser
    .via(steps.consent)
    .postForm(`${issuer}/consent`, { flow_id: toConsent.searchParams.get('flow_id')!, decision: 'accept' }, sameOrigin);
  expect(accepted.status).toBe(303);
  const resumed = await browser.via(steps.authorize).get(new URL(accepted.headers.get('location')!, issuer));
  const location = new URL(resumed.headers.get('location')!, issuer);
  expect(`${location.origin}${location.pathname}`).toBe(callback);
  expect(location.searchParams.get('code')).toBeTruthy();
  const redeem = (with_: client.Configuration) =>
    client.authorizationCodeGrant(with_, location, { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce });
  return { location, redeem };
}

/** The OAuth error a request is refused with (openid-client throws it). */
export async function refusal(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof client.ResponseBodyError) return error.error;
    throw error;
  }
  throw new Error('expected the request to be refused');
}

/** The `clientId`s of the "back-channel logout token delivered" lines `instance` has logged after `since` (an `output()` length). */
export function deliveredBy(instance: Instance, since = 0): string[] {
  return instance
    .output()
    .slice(since)
    .split('\n')
    .filter((line) => line.includes('back-channel logout token delivered'))
    .map((line) => /"clientId":"([^"]+)"/.exec(line)?.[1] ?? '?');
}

export { client };
