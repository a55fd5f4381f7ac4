import * as client from 'openid-client';
import { TokenHasher } from '../../src/oidc/tokens.js';
import { type AuthzWorld, demoRules, loginFirstFactor, raiseToTwoFactor, startAuthzGateway } from './fixtures.js';
import { injectListener } from '../helpers/gateway.js';

export const clientSecret = 'bearer-client-secret-0123456789';
const hmacSecret = 'a-very-long-hmac-secret-for-bearer-tests';
export const hasher = new TokenHasher(hmacSecret);

/**
 * The OpenID Connect clients of the bearer suites, for the site `domain` (https, or http under
 * `.localhost` when `scheme` says so):
 * - `robot`: client credentials, `gatehouse.bearer.authz`, audience the app and `api/v1`;
 * - `alias-robot`: the same with Authelia's scope name, audience the api;
 * - `no-scope-robot`: client credentials without the bearer scope;
 * - `cli`: a user-delegated app (authorization code) for the app and the secure site.
 */
export function bearerClients(domain: string, scheme = 'https'): Record<string, unknown>[] {
  const base = { client_secret: clientSecret, redirect_uris: [`https://cli.${domain}/callback`] };
  const site = (name: string, path = '') => `${scheme}://${name}.${domain}${path}`;
  return [
    { ...base, client_id: 'robot', grant_types: ['client_credentials'], scopes: ['gatehouse.bearer.authz'], audience: [site('app'), site('api', '/v1')] },
    { ...base, client_id: 'alias-robot', grant_types: ['client_credentials'], scopes: ['authelia.bearer.authz'], audience: [site('api')] },
    { ...base, client_id: 'no-scope-robot', grant_types: ['client_credentials'], scopes: ['profile'], audience: [site('app')] },
    {
      ...base,
      client_id: 'cli',
      authorization_policy: 'one_factor',
      consent_mode: 'implicit',
      scopes: ['openid', 'groups', 'gatehouse.bearer.authz'],
      audience: [site('app'), site('secure')],
    },
  ];
}

/** The OIDC section of a bearer world. */
export function bearerProvider(domain: string, scheme = 'https'): Record<string, unknown> {
  return { oidc: { hmac_secret: hmacSecret, clients: bearerClients(domain, scheme) } };
}

/** The demo rules, plus `api.<domain>`: `oauth2:client:robot` (one factor), then deny. */
export function bearerRules(domain: string): Record<string, unknown> {
  const demo = demoRules(domain) as { default_policy: string; rules: Record<string, unknown>[] };
  return {
    ...demo,
    rules: [...demo.rules, { domain: `api.${domain}`, subject: 'oauth2:client:robot', policy: 'one_factor' }, { domain: `api.${domain}`, policy: 'deny' }],
  };
}

/** A forward-auth world for example.com with the provider at https://auth.example.com. */
export async function startBearerWorld(overrides: Record<string, unknown> = {}): Promise<BearerWorld> {
  const world = await startAuthzGateway({ identity_providers: bearerProvider('example.com'), access_control: bearerRules('example.com'), ...overrides });
  return withTokens(world, 'https://auth.example.com', { 'x-forwarded-proto': 'https' });
}

export interface BearerWorld extends AuthzWorld {
  /** A client-credentials access token of `clientId` (openid-client). */
  machineToken(clientId: string, parameters?: Record<string, string>): Promise<string>;
  /** An access token `username` granted `cli` through the authorization code flow (after two factors with `twoFactor`). */
  userToken(username: string, options?: { twoFactor?: boolean; scope?: string }): Promise<string>;
  /** openid-client's configuration of `clientId`. */
  clientConfig(clientId: string): Promise<client.Configuration>;
  /** Stores a copy of the access token under another value, with `changes` (an earlier `expiresAt` …). */
  seed(token: string, value: string, changes: Record<string, unknown>): Promise<string>;
}

/**
 * Token helpers over `inject` (no socket): openid-client talks to the portal origin `issuer`,
 * whose requests carry `headers` (the https a trusted front proxy would state).
 */
export function withTokens(world: AuthzWorld, issuer: string, headers: Record<string, string>): BearerWorld {
  const origin = new URL(issuer);
  const fetch = async (url: string | URL, init: { method?: string; headers?: Record<string, string> | Headers | [string, string][]; body?: unknown } = {}) => {
    const u = new URL(String(url));
    const sent: Record<string, string> = {};
    new Headers(init.headers).forEach((value, name) => {
      sent[name] = value;
    });
    const reply = await injectListener(world.gateway, {
      method: (init.method ?? 'GET') as 'GET',
      url: u.pathname + u.search,
      headers: { ...sent, ...headers, host: u.host },
      ...(init.body === undefined || init.body === null ? {} : { payload: String(init.body) }),
      remoteAddress: '127.0.0.1',
    });
    const out = new Headers();
    for (const [name, value] of Object.entries(reply.headers)) for (const v of [value ?? []].flat()) out.append(name, String(v));
    return new Response(reply.statusCode === 204 ? null : reply.rawPayload, { status: reply.statusCode, headers: out });
  };
  const clientConfig = async (clientId: string) => {
    const document = (await (await fetch(`${issuer}/.well-known/openid-configuration`)).json()) as client.ServerMetadata;
    const server = { introspection_endpoint: `${issuer}/api/oidc/introspection`, revocation_endpoint: `${issuer}/api/oidc/revocation`, ...document };
    const c = new client.Configuration(server, clientId, clientSecret, client.ClientSecretBasic(clientSecret));
    if (origin.protocol === 'http:') client.allowInsecureRequests(c);
    c[client.customFetch] = fetch as unknown as client.CustomFetch;
    return c;
  };
  return {
    ...world,
    clientConfig,
    async machineToken(clientId, parameters = {}) {
      return (await client.clientCredentialsGrant(await clientConfig(clientId), parameters)).access_token;
    },
    async userToken(username, options = {}) {
      const session = await loginFirstFactor(world, username, origin.hostname.split('.').slice(1).join('.'));
      if (options.twoFactor) await raiseToTwoFactor(world, session);
      const cookie = `${world.config.session.cookies[0]!.name}=${session}`;
      const redirectUri = `https://cli.${origin.hostname.split('.').slice(1).join('.')}/callback`;
      const query = new URLSearchParams({
        client_id: 'cli',
        redirect_uri: redirectUri,
        response_type: 'code',
        scope: options.scope ?? 'openid groups gatehouse.bearer.authz',
      });
      const authorization = await fetch(`${issuer}/api/oidc/authorization?${query}`, { headers: { cookie } });
      const code = new URL(authorization.headers.get('location') ?? 'http://x/').searchParams.get('code');
      if (!code) throw new Error(`no code: ${authorization.status} ${authorization.headers.get('location')}`);
      const tokens = await client.authorizationCodeGrant(await clientConfig('cli'), new URL(`${redirectUri}?code=${code}&iss=${encodeURIComponent(issuer)}`));
      return tokens.access_token;
    },
    async seed(token, value, changes) {
      const stored = await world.gateway.storage.oidc.findToken(hasher.hash('access', token));
      if (!stored) throw new Error('unknown access token');
      await world.gateway.storage.oidc.saveToken({ ...stored, tokenHash: hasher.hash('access', value), ...changes });
      return value;
    },
  };
}
