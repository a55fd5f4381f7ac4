import { type ClaimsPolicy, readClaimsPolicies } from './oidc-claims-policies.js';
import { type OidcClientConfig, readOidcClient } from './oidc-client.js';
import { type OidcLifespans, readLifespans } from './oidc-lifespans.js';
import { jwkKeyId, type OidcJwkConfig, type OidcSigningAlgorithm, oidcSigningAlgorithms, readOidcJwks } from './oidc-keys.js';
import { keyPath } from './problems.js';
import { type ReadContext, readBoolean, readChoice, readInteger, readList, readMapping, readSecret, readString } from './reader.js';

export type { ClientAuthMethod, ClientSecret, OidcClientConfig } from './oidc-client.js';
export type { OidcJwkConfig, OidcSigningAlgorithm } from './oidc-keys.js';
export type { ClaimsPolicy } from './oidc-claims-policies.js';
export type { CustomLifespan, LifespanGrant, LifespanSet, OidcLifespans } from './oidc-lifespans.js';

export const corsEndpoints = ['token', 'userinfo', 'introspection', 'revocation'] as const;

/** `identity_providers.oidc`, validated. Durations are milliseconds. */
export interface OidcConfig {
  /** Keys the hashes of stored codes and tokens (HMAC-SHA256), so a database dump cannot be replayed. */
  readonly hmacSecret: string;
  /** Empty: a key is generated at first start and stored encrypted. */
  readonly jwks: readonly OidcJwkConfig[];
  readonly lifespans: OidcLifespans;
  /** `claims_policies`: named placements of claims, chosen per client with `claims_policy`. */
  readonly claimsPolicies: ReadonlyMap<string, ClaimsPolicy>;
  /** What a sign-out does to tokens: `revoke_offline_access` (default true) revokes `offline_access` grants too. */
  readonly logout: { readonly revokeOfflineAccess: boolean };
  /** `enable_client_debug_messages`: error answers also carry `error_debug`, the detail otherwise only logged. */
  readonly enableClientDebugMessages: boolean;
  /**
   * `minimum_parameter_entropy`: the fewest characters a `state` or `nonce` sent may have (Authelia's
   * default 8); 0 when disabled (`-1`).
   */
  readonly minimumParameterEntropy: number;
  readonly enforcePkce: 'never' | 'public_clients_only' | 'always';
  readonly enablePkcePlainChallenge: boolean;
  readonly cors: {
    readonly endpoints: readonly (typeof corsEndpoints)[number][];
    readonly allowedOrigins: readonly string[];
    readonly allowedOriginsFromClientRedirectUris: boolean;
  };
  readonly clients: readonly OidcClientConfig[];
}

export const oidcDefaults = {
  hmacSecretMinLength: 20,
  minimumParameterEntropy: 8,
} as const;

/** Reads `identity_providers` (only `oidc` so far); undefined when absent. */
export function readIdentityProviders(ctx: ReadContext, value: unknown): OidcConfig | undefined {
  if (value === undefined || value === null) return undefined;
  const raw = readMapping(ctx, 'identity_providers', value, ['oidc']);
  if (!raw || raw.oidc === undefined || raw.oidc === null) return undefined;
  return readOidc(ctx, 'identity_providers.oidc', raw.oidc);
}

function readOidc(ctx: ReadContext, path: string, value: unknown): OidcConfig | undefined {
  const raw = readMapping(ctx, path, value, [
    'hmac_secret',
    'jwks',
    'enable_client_debug_messages',
    'minimum_parameter_entropy',
    'lifespans',
    'claims_policies',
    'enforce_pkce',
    'enable_pkce_plain_challenge',
    'cors',
    'logout',
    'clients',
  ]);
  if (!raw) return undefined;
  const p = (key: string) => keyPath(path, key);
  const hmacSecret = readSecret(ctx, p('hmac_secret'), raw.hmac_secret, { required: true });
  if (hmacSecret !== undefined && hmacSecret.length < oidcDefaults.hmacSecretMinLength) {
    ctx.problems.error(p('hmac_secret'), `must be at least ${oidcDefaults.hmacSecretMinLength} characters but is ${hmacSecret.length} characters`);
  }
  const jwks = readOidcJwks(ctx, p('jwks'), raw.jwks);
  const plain = readBoolean(ctx, p('enable_pkce_plain_challenge'), raw.enable_pkce_plain_challenge, false);
  const clientsAt = p('clients');
  if (raw.clients === undefined || raw.clients === null) ctx.problems.error(clientsAt, 'must list at least one client but is absent');
  else if (Array.isArray(raw.clients) && raw.clients.length === 0) ctx.problems.error(clientsAt, 'must list at least one client but is empty');
  const clients = readList(ctx, clientsAt, raw.clients, (entry, at) => readOidcClient(ctx, at, entry, plain));
  const lifespans = readLifespans(ctx, p('lifespans'), raw.lifespans);
  const claimsPolicies = readClaimsPolicies(ctx, p('claims_policies'), raw.claims_policies);
  checkClients(ctx, clientsAt, clients, jwks, { lifespans: lifespans.custom, claimsPolicies });
  return {
    hmacSecret: hmacSecret ?? '',
    jwks,
    lifespans,
    claimsPolicies,
    enableClientDebugMessages: readBoolean(ctx, p('enable_client_debug_messages'), raw.enable_client_debug_messages, false),
    minimumParameterEntropy: readEntropy(ctx, p('minimum_parameter_entropy'), raw.minimum_parameter_entropy),
    enforcePkce: readChoice(ctx, p('enforce_pkce'), raw.enforce_pkce, ['never', 'public_clients_only', 'always'] as const, 'public_clients_only'),
    enablePkcePlainChallenge: plain,
    cors: readCors(ctx, p('cors'), raw.cors),
    logout: readLogout(ctx, p('logout'), raw.logout),
    clients: clients.map((client) => withKeyAlgorithms(client, jwks)),
  };
}

/**
 * `minimum_parameter_entropy` as Authelia reads it: absent or 0 → 8; -1 disables the check (a
 * warning); 1 to 7 are accepted with a warning — a `state` that short can be guessed, which
 * weakens the CSRF protection it gives (RFC 6749 §10.12, RFC 9700 §4.7).
 */
function readEntropy(ctx: ReadContext, path: string, value: unknown): number {
  const n = readInteger(ctx, path, value, 0, { min: -1 });
  if (n === 0) return oidcDefaults.minimumParameterEntropy;
  if (n === -1) {
    ctx.problems.warn(path, 'is -1: state and nonce of any length are accepted, so a short, guessable state weakens CSRF protection (RFC 6749 §10.12)');
    return 0;
  }
  if (n < oidcDefaults.minimumParameterEntropy) {
    ctx.problems.warn(path, `is ${n}, below the default 8: a state that short can be guessed, which weakens CSRF protection (RFC 6749 §10.12)`);
  }
  return n;
}

function readLogout(ctx: ReadContext, path: string, value: unknown): OidcConfig['logout'] {
  const raw = readMapping(ctx, path, value, ['revoke_offline_access']) ?? {};
  return { revokeOfflineAccess: readBoolean(ctx, keyPath(path, 'revoke_offline_access'), raw.revoke_offline_access, true) };
}

function readCors(ctx: ReadContext, path: string, value: unknown): OidcConfig['cors'] {
  const raw = readMapping(ctx, path, value, ['endpoints', 'allowed_origins', 'allowed_origins_from_client_redirect_uris']) ?? {};
  const endpoints = readList(ctx, keyPath(path, 'endpoints'), raw.endpoints, (entry, at) => {
    if (entry === 'authorization') {
      // Accepted so that an Authelia file loads, and dropped: the spec wins over the peer here.
      ctx.problems.warn(at, "'authorization' is dropped: RFC 9700 §4.16 forbids CORS at the authorization endpoint (Authelia allows it)");
      return undefined;
    }
    return readChoice(ctx, at, entry, corsEndpoints, 'token');
  });
  const allowedOrigins = readList(ctx, keyPath(path, 'allowed_origins'), raw.allowed_origins, (entry, at) => {
    const text = readString(ctx, at, entry, { required: true });
    if (text === undefined || text === '*') return text;
    try {
      const url = new URL(text);
      if (url.origin === text) return text;
    } catch {
      // reported below
    }
    ctx.problems.error(at, `must be an origin such as 'https://app.example.com' (no path) or '*' but is '${text}'`);
    return undefined;
  });
  return {
    endpoints,
    allowedOrigins,
    allowedOriginsFromClientRedirectUris: readBoolean(
      ctx,
      keyPath(path, 'allowed_origins_from_client_redirect_uris'),
      raw.allowed_origins_from_client_redirect_uris,
      false,
    ),
  };
}

/** Checks what spans clients: unique ids, signing algorithms that have a key, named lifespans and claims policies that exist. */
function checkClients(
  ctx: ReadContext,
  path: string,
  clients: OidcClientConfig[],
  jwks: readonly OidcJwkConfig[],
  named: { readonly lifespans: ReadonlyMap<string, unknown>; readonly claimsPolicies: ReadonlyMap<string, unknown> },
): void {
  const seen = new Map<string, number>();
  // Without configured keys, Gatehouse generates and stores one of each algorithm clients use (oidc/keys.ts).
  const algs = new Set<OidcSigningAlgorithm>(jwks.length === 0 ? oidcSigningAlgorithms : jwks.map((k) => k.algorithm));
  clients.forEach((client, index) => {
    const at = `${path}[${index}]`;
    const earlier = seen.get(client.id);
    if (earlier !== undefined) ctx.problems.error(keyPath(at, 'client_id'), `must be unique but '${client.id}' is also ${path}[${earlier}]`);
    else seen.set(client.id, index);
    if (client.lifespan !== undefined && !named.lifespans.has(client.lifespan)) {
      ctx.problems.error(keyPath(at, 'lifespan'), `must name an entry of identity_providers.oidc.lifespans.custom but is '${client.lifespan}'`);
    }
    if (client.claimsPolicy !== undefined && !named.claimsPolicies.has(client.claimsPolicy)) {
      ctx.problems.error(keyPath(at, 'claims_policy'), `must name an entry of identity_providers.oidc.claims_policies but is '${client.claimsPolicy}'`);
    }
    checkSigning(ctx, at, client, jwks, algs);
  });
}

/** The client with each `*_signed_response_alg` replaced by the algorithm of the key its `*_key_id` names (Authelia's rule). */
function withKeyAlgorithms(client: OidcClientConfig, jwks: readonly OidcJwkConfig[]): OidcClientConfig {
  const algOf = (keyId: string | undefined) => jwks.find((k) => keyId !== undefined && jwkKeyId(k) === keyId)?.algorithm;
  const { idToken, userinfo, accessToken } = client.signingKeyIds;
  return {
    ...client,
    idTokenSignedResponseAlg: algOf(idToken) ?? client.idTokenSignedResponseAlg,
    userinfoSignedResponseAlg: algOf(userinfo) ?? client.userinfoSignedResponseAlg,
    accessTokenSignedResponseAlg: algOf(accessToken) ?? client.accessTokenSignedResponseAlg,
  };
}

/**
 * Each response a client has signed: a `*_key_id` must name a configured key (its algorithm then
 * is the one used, Authelia's rule); otherwise the algorithm must have a key.
 */
function checkSigning(ctx: ReadContext, at: string, client: OidcClientConfig, jwks: readonly OidcJwkConfig[], algs: ReadonlySet<OidcSigningAlgorithm>): void {
  const ids = new Map(jwks.map((k) => [jwkKeyId(k), k.algorithm]));
  for (const [what, alg, keyId] of [
    ['id_token', client.idTokenSignedResponseAlg, client.signingKeyIds.idToken],
    ['userinfo', client.userinfoSignedResponseAlg, client.signingKeyIds.userinfo],
    ['access_token', client.accessTokenSignedResponseAlg, client.signingKeyIds.accessToken],
  ] as const) {
    if (keyId !== undefined) {
      if (!ids.has(keyId)) {
        const known = jwks.length === 0 ? 'none is configured (generated keys have no fixed key_id)' : `the key ids are ${[...ids.keys()].join(', ')}`;
        ctx.problems.error(keyPath(at, `${what}_signed_response_key_id`), `must name a key of identity_providers.oidc.jwks but is '${keyId}'; ${known}`);
      }
    } else if (alg !== 'none' && !algs.has(alg)) {
      ctx.problems.error(keyPath(at, `${what}_signed_response_alg`), `must be an algorithm of a key in identity_providers.oidc.jwks but is '${alg}'`);
    }
  }
}
