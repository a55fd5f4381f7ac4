import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { JSONWebKeySet } from 'jose';
import * as client from 'openid-client';
import { pino } from 'pino';
import { expect } from 'vitest';
import type { Gateway } from '../../../src/server/gateway.js';
import { ManualClock } from '../../../src/shared/clock.js';
import { configOf, tempDir } from '../../helpers/config.js';
import { startTestGateway } from '../../helpers/gateway.js';
import { Browser, loopbackFetch } from '../../helpers/oidc.js';
import { quickDigest } from '../../helpers/portal.js';
import { verifyLogoutToken } from '../../oidc/logout/receiver.js';
import { type Upstream, startUpstream } from '../../proxy/upstream.js';

export const domain = 'gatehouse.localhost';
export const portalHost = `auth.${domain}`;
export const issuer = `http://${portalHost}`;
/** The proxied site (proxy mode), one factor. */
export const siteHost = `wiki.${domain}`;
export const site = `http://${siteHost}`;
/** Where the relying parties say their code goes (never called: the test reads the redirect). */
export const callback = `http://app.${domain}/callback`;
/** Where the relying parties want the browser once signed out (RP-initiated logout). */
export const signedOutUri = `http://app.${domain}/signed-out`;
export const secret = 'single-logout-client-secret-0123456789';
export const sameOrigin = { origin: issuer, 'sec-fetch-site': 'same-origin' };

/** The scopes both relying parties ask for: a refresh token (offline_access) and bearer authorisation at the proxied site. */
export const fullScope = 'openid profile email offline_access gatehouse.bearer.authz';

/** One JSON log line of the gateway. */
export interface LogLine {
  readonly level: number;
  readonly msg: string;
  readonly [field: string]: unknown;
}

export interface WorldOptions {
  /** Each client's `backchannel_logout_uri` (a receiver's URL, or an unreachable one). */
  readonly backchannel: Readonly<Record<'rp-a' | 'rp-b', string>>;
  /** `identity_providers.oidc.logout.revoke_offline_access` (absent: the default). */
  readonly revokeOfflineAccess?: boolean;
  /** Extra keys of the client `rp-b` (other redirect URIs …). */
  readonly rpB?: Record<string, unknown>;
}

/**
 * A gateway on a free loopback port on a manual clock, which is at once
 * - the portal `http://auth.gatehouse.localhost` (users john and bob in a users file);
 * - an OpenID Connect provider with two confidential relying parties, `rp-a` and `rp-b`, each
 *   with explicit consent, refresh tokens (offline_access), bearer authorisation for the proxied
 *   site and a `backchannel_logout_uri`;
 * - a reverse proxy for `http://wiki.gatehouse.localhost` (one factor) in front of a recording
 *   upstream, and the forward-auth endpoint.
 * Every log line is kept (`logs`). `restart` stops the gateway and starts a new one on the same
 * configuration and database (the same folder), as an operator restarting it would.
 */
export async function startWorld(options: WorldOptions) {
  const dir = tempDir();
  const usersFile = join(dir, 'users.yml');
  writeFileSync(
    usersFile,
    [
      'users:',
      '  john:',
      '    displayname: John',
      `    password: '${quickDigest('password')}'`,
      `    email: john@${domain}`,
      '    groups: [dev]',
      '  bob:',
      '    displayname: Bob',
      `    password: '${quickDigest('bobpassword')}'`,
      '    groups: []',
      '',
    ].join('\n'),
  );
  const upstream: Upstream = await startUpstream();
  const rp = (id: string, extra: Record<string, unknown> = {}) => ({
    client_id: id,
    client_secret: secret,
    authorization_policy: 'one_factor',
    consent_mode: 'explicit',
    redirect_uris: [callback],
    post_logout_redirect_uris: [signedOutUri],
    grant_types: ['authorization_code', 'refresh_token'],
    scopes: ['openid', 'profile', 'email', 'offline_access', 'gatehouse.bearer.authz'],
    audience: [site],
    token_endpoint_auth_method: 'client_secret_basic',
    backchannel_logout_uri: options.backchannel[id as 'rp-a' | 'rp-b'],
    ...extra,
  });
  const config = configOf(
    {
      server: { address: 'tcp://127.0.0.1:0' },
      log: { level: 'info', format: 'json' },
      session: {
        expiration: '10m',
        inactivity: '5m',
        cookies: [{ domain, portal_url: issuer, default_redirection_url: `http://home.${domain}` }],
      },
      storage: { encryption_key: 'a-very-long-test-encryption-key', local: { path: join(dir, 'db.sqlite3') } },
      authentication_backend: { file: { path: usersFile } },
      notifier: { filesystem: { filename: join(dir, 'notifications.txt') } },
      access_control: {
        default_policy: 'deny',
        rules: [
          { domain: portalHost, policy: 'bypass' },
          { domain: siteHost, policy: 'one_factor' },
        ],
      },
      proxy: { upstreams: [{ domain: siteHost, target: upstream.url }] },
      identity_providers: {
        oidc: {
          hmac_secret: 'a-very-long-hmac-secret-for-single-logout',
          clients: [rp('rp-a'), rp('rp-b', options.rpB)],
          ...(options.revokeOfflineAccess === undefined ? {} : { logout: { revoke_offline_access: options.revokeOfflineAccess } }),
        },
      },
    },
    {},
    dir,
  );
  const clock = new ManualClock(Date.UTC(2026, 10, 25, 12, 0, 0));
  const logs: LogLine[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim() !== '') logs.push(JSON.parse(line) as LogLine);
      done();
    },
  });
  const start = () =>
    startTestGateway(config, {
      clock,
      logger: pino({ level: 'debug' }, sink),
      // The queue is read every 20 ms of real time (what is due is decided by the manual clock).
      backchannel: { pollInterval: 20 },
    });
  let gateway: Gateway = await start();
  let fetch = loopbackFetch(new URL(gateway.url));

  const world = {
    dir,
    config,
    clock,
    upstream,
    logs,
    get gateway() {
      return gateway;
    },
    /** A fetch to this gateway (the one running now) that keeps the URL's host. */
    fetch: ((url, init) => fetch(url, init)) as typeof fetch,
    /** Stops the gateway (in-flight deliveries aborted, the queue left in the database) and starts a new one. */
    async restart() {
      await gateway.close();
      gateway = await start();
      fetch = loopbackFetch(new URL(gateway.url));
    },
    /** A browser with its own cookie jar. */
    browser: () => new Browser((url, init) => fetch(url, init)),
    /** openid-client's configuration for `clientId` (client_secret_basic), told the manual clock's skew. */
    async configFor(clientId: string) {
      const skew = Math.round((clock.now() - Date.now()) / 1000);
      const custom = ((url: string | URL, init?: Parameters<typeof fetch>[1]) => fetch(url, init)) as unknown as client.CustomFetch;
      const config = await client.discovery(new URL(issuer), clientId, { [client.clockSkew]: skew }, client.ClientSecretBasic(secret), {
        execute: [client.allowInsecureRequests],
        [client.customFetch]: custom,
      });
      config[client.customFetch] = custom;
      return config;
    },
    /** The provider's JWK Set, as a relying party fetches it. */
    async jwks(): Promise<JSONWebKeySet> {
      return (await (await fetch(`${issuer}/jwks.json`)).json()) as JSONWebKeySet;
    },
    /** Verifies a logout token as the relying party `audience` does (receiver.ts), at the manual clock's time. */
    async verify(token: string, audience: string) {
      return verifyLogoutToken(token, await world.jwks(), { issuer, audience, now: clock.now() });
    },
    /** Log lines with this message. */
    logged: (msg: string) => logs.filter((l) => l.msg === msg),
  };
  return world;
}

export type World = Awaited<ReturnType<typeof startWorld>>;

/**
 * One authorization code flow of `config`'s client in `browser`: john signs in when the browser
 * has no session yet, accepts the consent page, and openid-client redeems the code (PKCE, state,
 * nonce checked). Returns the tokens and the ID token's claims.
 */
export async function signIn(w: World, browser: Browser, config: client.Configuration, scope = fullScope, redirectUri = callback) {
  if (!browser.cookie) {
    expect((await browser.login()).status).toBe(200);
    w.clock.advance(1000);
  }
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri,
    scope,
    state,
    nonce,
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
  });
  let location = new URL((await browser.get(url)).headers.get('location')!, issuer);
  if (location.origin === issuer && location.pathname === '/consent') {
    const accepted = await browser.postForm(`${issuer}/consent`, { flow_id: location.searchParams.get('flow_id')!, decision: 'accept' }, sameOrigin);
    location = new URL((await browser.get(accepted.headers.get('location')!)).headers.get('location')!, issuer);
  }
  const tokens = await client.authorizationCodeGrant(config, location, { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce });
  const claims = tokens.claims()!;
  return { tokens, claims, sid: claims.sid as string, sub: claims.sub };
}

/** The OAuth error a token request is refused with (openid-client throws it). */
export async function refusal(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof client.ResponseBodyError) return error.error;
    throw error;
  }
  throw new Error('expected the request to be refused');
}

/** The status of userinfo for an access token. */
export async function userinfoStatus(w: World, accessToken: string): Promise<number> {
  return (await w.fetch(`${issuer}/api/oidc/userinfo`, { headers: { authorization: `Bearer ${accessToken}` } })).status;
}

/** Forward-auth (as Traefik asks it) for a GET of the proxied site with a bearer access token: the status. */
export async function forwardAuthBearer(w: World, accessToken: string): Promise<number> {
  const answer = await w.fetch(`${issuer}/api/authz/forward-auth`, {
    headers: {
      authorization: `Bearer ${accessToken}`,
      'x-forwarded-method': 'GET',
      'x-forwarded-proto': 'http',
      'x-forwarded-host': siteHost,
      'x-forwarded-uri': '/data',
    },
  });
  return answer.status;
}

/** What a browser (its cookie, asking for HTML) gets for a page of the proxied site. */
export async function visitSite(w: World, browser: Browser, path = '/page') {
  const answer = await w.fetch(`${site}${path}`, { headers: { accept: 'text/html', ...(browser.cookie ? { cookie: browser.cookie } : {}) } });
  return { status: answer.status, location: answer.headers.get('location') };
}

export { client, Browser };
