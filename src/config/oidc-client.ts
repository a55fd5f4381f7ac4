import { createPublicKey } from 'node:crypto';
import { isSupportedDigest } from '../shared/password-digest.js';
import { type OidcSigningAlgorithm, oidcSigningAlgorithms } from './oidc-keys.js';
import { describe, keyPath } from './problems.js';
import { type ReadContext, readBoolean, readChoice, readDuration, readList, readMapping, readSecret, readString } from './reader.js';

export const clientAuthMethods = ['client_secret_basic', 'client_secret_post', 'client_secret_jwt', 'private_key_jwt', 'none'] as const;
export type ClientAuthMethod = (typeof clientAuthMethods)[number];
export const knownScopes = ['openid', 'profile', 'email', 'groups', 'address', 'phone'] as const;
export const consentModes = ['auto', 'explicit', 'implicit', 'pre-configured'] as const;
const notYet = { scopes: ['offline_access', 'offline'], grant_types: ['refresh_token'] } as const;

/** A client secret as configured: a digest (verified like a password) or the plain value. */
export type ClientSecret = { readonly kind: 'digest'; readonly digest: string } | { readonly kind: 'plain'; readonly value: string };

/** One public key a client signs `private_key_jwt` assertions with. */
export interface ClientJwkConfig {
  readonly keyId: string | undefined;
  readonly algorithm: string;
  readonly key: string;
}

/** One relying party (`identity_providers.oidc.clients[]`), Authelia's keys and defaults. */
export interface OidcClientConfig {
  readonly id: string;
  readonly name: string;
  readonly secret: ClientSecret | undefined;
  readonly public: boolean;
  readonly authorizationPolicy: 'one_factor' | 'two_factor';
  readonly consentMode: 'explicit' | 'implicit' | 'pre-configured';
  /** Milliseconds a remembered (pre-configured) consent lasts. */
  readonly preConfiguredConsentDuration: number;
  /** Compared byte for byte with the `redirect_uri` of each request. */
  readonly redirectUris: readonly string[];
  readonly scopes: readonly string[];
  readonly grantTypes: readonly string[];
  readonly responseTypes: readonly string[];
  readonly responseModes: readonly ('query' | 'form_post')[];
  /** Set only when configured: then it is the one method accepted; otherwise basic and post both are. */
  readonly tokenEndpointAuthMethod: ClientAuthMethod | undefined;
  readonly requirePkce: boolean;
  readonly pkceChallengeMethod: 'S256' | 'plain' | undefined;
  readonly audience: readonly string[];
  readonly idTokenSignedResponseAlg: OidcSigningAlgorithm;
  readonly userinfoSignedResponseAlg: OidcSigningAlgorithm | 'none';
  /** Copy the scope claims (profile, email, groups …) into the ID token too. */
  readonly claimsInIdToken: boolean;
  readonly jwks: readonly ClientJwkConfig[];
}

const clientKeys = [
  'client_id',
  'id',
  'client_name',
  'description',
  'client_secret',
  'secret',
  'public',
  'authorization_policy',
  'consent_mode',
  'pre_configured_consent_duration',
  'redirect_uris',
  'scopes',
  'grant_types',
  'response_types',
  'response_modes',
  'token_endpoint_auth_method',
  'require_pkce',
  'pkce_challenge_method',
  'audience',
  'id_token_signed_response_alg',
  'userinfo_signed_response_alg',
  'claims_in_id_token',
  'jwks',
];

/** Reads one client; `plainAllowed` says whether `enable_pkce_plain_challenge` is on. */
export function readOidcClient(ctx: ReadContext, at: string, value: unknown, plainAllowed: boolean): OidcClientConfig | undefined {
  const raw = readMapping(ctx, at, value, clientKeys, { id: 'client_id', description: 'client_name', secret: 'client_secret' });
  if (!raw) return undefined;
  const p = (key: string) => keyPath(at, key);
  const id = readString(ctx, p('client_id'), raw.client_id, { required: true });
  if (id !== undefined && !/^[A-Za-z0-9._~-]{1,100}$/.test(id)) {
    ctx.problems.error(p('client_id'), `must be 1 to 100 letters, digits or '._~-' but is '${id}'`);
  }
  const isPublic = readBoolean(ctx, p('public'), raw.public, false);
  const secret = readClientSecret(ctx, p('client_secret'), raw.client_secret);
  const method =
    raw.token_endpoint_auth_method === undefined
      ? undefined
      : readChoice(ctx, p('token_endpoint_auth_method'), raw.token_endpoint_auth_method, clientAuthMethods, 'none');
  checkAuth(ctx, at, isPublic, secret ?? (raw.client_secret !== undefined ? { kind: 'plain', value: '' } : undefined), method);
  const scopes = readNames(ctx, p('scopes'), raw.scopes, knownScopes, notYet.scopes, ['openid', 'groups', 'profile', 'email']);
  const grantTypes = readNames(ctx, p('grant_types'), raw.grant_types, ['authorization_code'], notYet.grant_types, ['authorization_code']);
  const responseTypes = readNames(ctx, p('response_types'), raw.response_types, ['code'], [], ['code']);
  const responseModes = readNames(ctx, p('response_modes'), raw.response_modes, ['query', 'form_post'], [], ['form_post', 'query']) as (
    | 'query'
    | 'form_post'
  )[];
  const pkceMethod = readChoice(ctx, p('pkce_challenge_method'), raw.pkce_challenge_method, ['', 'S256', 'plain'] as const, '');
  if (pkceMethod === 'plain' && !plainAllowed) {
    ctx.problems.error(p('pkce_challenge_method'), "must be 'S256' unless enable_pkce_plain_challenge is true but is 'plain'");
  }
  const consent = readChoice(ctx, p('consent_mode'), raw.consent_mode, consentModes, 'auto');
  const userinfoAlg = readChoice(ctx, p('userinfo_signed_response_alg'), raw.userinfo_signed_response_alg, ['none', ...oidcSigningAlgorithms], 'none');
  const config: OidcClientConfig = {
    id: id ?? '',
    name: readString(ctx, p('client_name'), raw.client_name) ?? id ?? '',
    secret,
    public: isPublic,
    authorizationPolicy: readChoice(ctx, p('authorization_policy'), raw.authorization_policy, ['one_factor', 'two_factor'] as const, 'two_factor'),
    consentMode: consent === 'auto' ? (raw.pre_configured_consent_duration !== undefined ? 'pre-configured' : 'explicit') : consent,
    preConfiguredConsentDuration: readDuration(ctx, p('pre_configured_consent_duration'), raw.pre_configured_consent_duration, 7 * 86_400_000, { min: 1000 }),
    redirectUris: readRedirectUris(ctx, p('redirect_uris'), raw.redirect_uris),
    scopes,
    grantTypes,
    responseTypes,
    responseModes,
    tokenEndpointAuthMethod: method,
    requirePkce: readBoolean(ctx, p('require_pkce'), raw.require_pkce, false) || pkceMethod !== '',
    pkceChallengeMethod: pkceMethod === '' ? undefined : pkceMethod,
    audience: readList(ctx, p('audience'), raw.audience, (entry, entryAt) => readString(ctx, entryAt, entry, { required: true })),
    idTokenSignedResponseAlg: readChoice(ctx, p('id_token_signed_response_alg'), raw.id_token_signed_response_alg, oidcSigningAlgorithms, 'RS256'),
    userinfoSignedResponseAlg: userinfoAlg,
    claimsInIdToken: readBoolean(ctx, p('claims_in_id_token'), raw.claims_in_id_token, false),
    jwks: readClientJwks(ctx, p('jwks'), raw.jwks),
  };
  if (method === 'private_key_jwt' && config.jwks.length === 0) {
    ctx.problems.error(p('jwks'), "must list the client's public keys when token_endpoint_auth_method is 'private_key_jwt' but is absent");
  }
  return config;
}

function readClientSecret(ctx: ReadContext, path: string, value: unknown): ClientSecret | undefined {
  const text = readSecret(ctx, path, value);
  if (text === undefined || text === '') return undefined;
  if (text.startsWith('$plaintext$')) return { kind: 'plain', value: text.slice('$plaintext$'.length) };
  if (text.startsWith('$')) {
    if (isSupportedDigest(text)) return { kind: 'digest', digest: text };
    ctx.problems.error(
      path,
      "must be a digest such as '$pbkdf2-sha512$…' or '$argon2id$…' (see gatehouse hash-password) or a plain secret, but its digest format is not recognised",
    );
    return undefined;
  }
  return { kind: 'plain', value: text };
}

function checkAuth(ctx: ReadContext, at: string, isPublic: boolean, secret: ClientSecret | undefined, method: ClientAuthMethod | undefined): void {
  const p = (key: string) => keyPath(at, key);
  if (isPublic) {
    if (secret) ctx.problems.error(p('client_secret'), 'must be empty for a public client but is set');
    if (method !== undefined && method !== 'none') ctx.problems.error(p('token_endpoint_auth_method'), `must be 'none' for a public client but is '${method}'`);
    return;
  }
  if (method === 'none') ctx.problems.error(p('token_endpoint_auth_method'), "must not be 'none' unless the client is public (public: true)");
  if (!secret && method !== 'private_key_jwt') ctx.problems.error(p('client_secret'), 'must be set for a confidential client but is absent');
  if (method === 'client_secret_jwt' && secret?.kind === 'digest') {
    ctx.problems.error(
      p('client_secret'),
      "must be the plain secret when token_endpoint_auth_method is 'client_secret_jwt' (it is the HMAC key) but is a digest",
    );
  }
}

/** A list of names from `known`; `ignored` names are accepted with a warning; absent → `fallback`. */
function readNames(ctx: ReadContext, path: string, value: unknown, known: readonly string[], ignored: readonly string[], fallback: string[]): string[] {
  if (value === undefined || value === null) return fallback;
  const names = readList(ctx, path, value, (entry, at) => {
    if (typeof entry === 'string' && known.includes(entry)) return entry;
    if (typeof entry === 'string' && ignored.includes(entry)) {
      ctx.problems.warn(at, `'${entry}' is not implemented by this version of Gatehouse yet and is ignored`);
      return undefined;
    }
    ctx.problems.error(at, `must be one of ${known.map((k) => `'${k}'`).join(', ')} but is ${describe(entry)}`);
    return undefined;
  });
  return [...new Set(names)];
}

function readRedirectUris(ctx: ReadContext, path: string, value: unknown): string[] {
  if (value === undefined || value === null || (Array.isArray(value) && value.length === 0)) {
    ctx.problems.error(path, 'must list at least one redirect URI but is absent');
    return [];
  }
  return readList(ctx, path, value, (entry, at) => {
    const text = readString(ctx, at, entry, { required: true });
    if (text === undefined) return undefined;
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      ctx.problems.error(at, `must be an absolute URL such as 'https://app.example.com/callback' but is '${text}'`);
      return undefined;
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') ctx.problems.error(at, `must use the scheme 'https' or 'http' but is '${text}'`);
    else if (url.hash !== '' || text.includes('#')) ctx.problems.error(at, `must not contain a fragment ('#') but is '${text}'`);
    else if (text !== text.trim()) ctx.problems.error(at, `must not start or end with spaces but is '${text}'`);
    else {
      if (url.protocol === 'http:' && !/^(localhost|127\.\d+\.\d+\.\d+|\[::1\])$|\.localhost$/.test(url.hostname)) {
        ctx.problems.warn(at, `uses plain http; codes and tokens can be read on the network ('${text}')`);
      }
      return text;
    }
    return undefined;
  });
}

function readClientJwks(ctx: ReadContext, path: string, value: unknown): ClientJwkConfig[] {
  return readList(ctx, path, value, (entry, at) => {
    const raw = readMapping(ctx, at, entry, ['key_id', 'algorithm', 'use', 'key']);
    if (!raw) return undefined;
    const key = readString(ctx, keyPath(at, 'key'), raw.key, { required: true });
    const algorithm = readChoice(
      ctx,
      keyPath(at, 'algorithm'),
      raw.algorithm,
      ['RS256', 'RS384', 'RS512', 'PS256', 'ES256', 'ES384', 'EdDSA'] as const,
      'RS256',
    );
    if (key === undefined) return undefined;
    try {
      createPublicKey(key);
    } catch {
      ctx.problems.error(keyPath(at, 'key'), 'must be a PEM public key (-----BEGIN PUBLIC KEY-----) but cannot be read as one');
      return undefined;
    }
    return { keyId: readString(ctx, keyPath(at, 'key_id'), raw.key_id), algorithm, key };
  });
}
