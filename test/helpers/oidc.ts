import { generateKeyPairSync, pbkdf2Sync, randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import * as client from 'openid-client';
import { toAb64 } from '../../src/auth/password/encoding.js';
import { startPortal, portalHost, portalOrigin } from './portal.js';

export { portalHost, portalOrigin };
export const issuer = portalOrigin;
export const callback = 'http://app.gatehouse.localhost/callback';
export const spaCallback = 'http://app.gatehouse.localhost/spa';
export const secret = 'confidential-client-secret-0123456789';

/** The clock of the provider started last (tests in a file run one at a time). */
let providerClock: { now(): number } = { now: () => Date.now() };

/** A `$pbkdf2-sha512$` digest with few iterations (real format). */
export function sha512Digest(value: string): string {
  const salt = randomBytes(16);
  return `$pbkdf2-sha512$1000$${toAb64(salt)}$${toAb64(pbkdf2Sync(value, salt, 1000, 64, 'sha512'))}`;
}

/** A client key pair for private_key_jwt. */
export const clientKeys = generateKeyPairSync('rsa', { modulusLength: 2048 });

/** The test clients (Authelia's keys). */
export function testClients(): Record<string, unknown>[] {
  const base = { authorization_policy: 'one_factor', consent_mode: 'implicit', redirect_uris: [callback] };
  return [
    { ...base, client_id: 'confidential', client_name: 'Confidential App', client_secret: secret },
    { ...base, client_id: 'basic-only', client_secret: sha512Digest(secret), token_endpoint_auth_method: 'client_secret_basic' },
    { ...base, client_id: 'public-app', public: true, redirect_uris: [spaCallback] },
    { ...base, client_id: 'explicit', client_secret: secret, consent_mode: 'explicit', client_name: 'Explicit <App>' },
    { ...base, client_id: 'remember', client_secret: secret, consent_mode: 'pre-configured' },
    { ...base, client_id: 'twofa', client_secret: secret, authorization_policy: 'two_factor' },
    { ...base, client_id: 'hs-jwt', client_secret: secret, token_endpoint_auth_method: 'client_secret_jwt' },
    {
      ...base,
      client_id: 'pk-jwt',
      token_endpoint_auth_method: 'private_key_jwt',
      jwks: [{ key_id: 'rp1', algorithm: 'RS256', key: clientKeys.publicKey.export({ type: 'spki', format: 'pem' }).toString() }],
    },
    {
      ...base,
      client_id: 'claims',
      client_secret: secret,
      claims_in_id_token: true,
      userinfo_signed_response_alg: 'RS256',
      audience: ['https://api.gatehouse.localhost'],
    },
    { ...base, client_id: 'pkce-always', client_secret: secret, require_pkce: true, response_modes: ['form_post', 'query'] },
  ];
}

/**
 * The portal world of the portal tests plus an OpenID Connect provider with the test clients;
 * `options.config` overrides other top-level sections (for example `authentication_backend`).
 */
export async function startProvider(oidc: Record<string, unknown> = {}, options: { port?: number; config?: Record<string, unknown> } = {}) {
  const world = await startPortal(
    { identity_providers: { oidc: { hmac_secret: 'a-very-long-hmac-secret-for-tests', clients: testClients(), ...oidc } }, ...options.config },
    options,
  );
  const fetch = loopbackFetch(new URL(world.gateway.url));
  providerClock = world.clock;
  return { ...world, fetch };
}

type FetchLike = (
  url: string | URL,
  init?: { method?: string; headers?: Record<string, string> | Headers | [string, string][]; body?: unknown; redirect?: string },
) => Promise<Response>;

/**
 * A `fetch` that sends every request to the gateway's real port while keeping the URL's host in
 * `Host` (Node's fetch resolves no `*.localhost` names and ignores a `Host` header).
 */
export function loopbackFetch(target: URL): FetchLike {
  return (url, init = {}) =>
    new Promise((resolve, reject) => {
      const u = new URL(String(url));
      const headers: Record<string, string> = {};
      new Headers(init.headers).forEach((value, name) => {
        headers[name] = value;
      });
      const body = init.body === undefined || init.body === null ? undefined : String(init.body);
      if (body !== undefined && !headers['content-type']) headers['content-type'] = 'application/x-www-form-urlencoded;charset=UTF-8';
      const req = httpRequest(
        { host: target.hostname, port: target.port, method: init.method ?? 'GET', path: u.pathname + u.search, headers: { ...headers, host: u.host } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const out = new Headers();
            for (const [name, value] of Object.entries(res.headers)) for (const v of [value ?? []].flat()) out.append(name, String(v));
            const status = res.statusCode ?? 500;
            resolve(new Response(status === 204 || status === 304 ? null : Buffer.concat(chunks), { status, headers: out }));
          });
        },
      );
      req.on('error', reject);
      if (body !== undefined) req.write(body);
      req.end();
    });
}

/** A browser stand-in over real HTTP: one cookie jar, redirects returned, not followed. */
export class Browser {
  cookie: string | undefined;

  constructor(private readonly fetch: FetchLike) {}

  async get(url: string | URL): Promise<Response> {
    return this.#send(String(url), 'GET');
  }

  async postForm(url: string, fields: Record<string, string>, headers: Record<string, string> = {}): Promise<Response> {
    return this.#send(url, 'POST', new URLSearchParams(fields).toString(), { 'content-type': 'application/x-www-form-urlencoded', ...headers });
  }

  /** `POST /api/firstfactor` as the portal's script does (JSON, same origin). */
  async login(username = 'john', password = 'password'): Promise<Response> {
    return this.#send(`${portalOrigin}/api/firstfactor`, 'POST', JSON.stringify({ username, password }), {
      'content-type': 'application/json',
      origin: portalOrigin,
      'sec-fetch-site': 'same-origin',
    });
  }

  /** Follows redirects within the portal host; returns the first response that leaves it (or is not a redirect). */
  async follow(url: string | URL, max = 10): Promise<Response> {
    let response = await this.get(url);
    for (let i = 0; i < max; i++) {
      const location = response.headers.get('location');
      if (!location || response.status < 300 || response.status >= 400) return response;
      const next = new URL(location, portalOrigin);
      if (next.host !== portalHost) return response;
      response = await this.get(next);
    }
    return response;
  }

  async #send(url: string, method: string, body?: string, headers: Record<string, string> = {}): Promise<Response> {
    const response = await this.fetch(url, { method, body, headers: { ...headers, ...(this.cookie ? { cookie: this.cookie } : {}) } });
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      this.cookie = pair!.endsWith('=') ? undefined : pair;
    }
    return response;
  }
}

/** openid-client's configuration for `clientId`, talking to the gateway over real HTTP. */
export async function discover(fetch: FetchLike, clientId: string, metadata?: Partial<client.ClientMetadata> | string, auth?: client.ClientAuth) {
  // The provider runs on a manual clock: tell openid-client how far it is from the real one.
  const skew = Math.round((providerClock.now() - Date.now()) / 1000);
  const fields = typeof metadata === 'string' ? { client_secret: metadata } : (metadata ?? {});
  const config = await client.discovery(new URL(issuer), clientId, { ...fields, [client.clockSkew]: skew }, auth, {
    execute: [client.allowInsecureRequests],
    [client.customFetch]: fetch as unknown as client.CustomFetch,
  });
  config[client.customFetch] = fetch as unknown as client.CustomFetch;
  return config;
}

export { client };
