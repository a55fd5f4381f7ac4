import { isSupportedDigest } from '../shared/password-digest.js';
import { type AutheliaValues, type ClientJwkConfig, readClientJwks, readNames, readRedirectUris } from './oidc-client-parts.js';
import {
  type ClientAuthMethod,
  authEndpoints,
  clientAuthMethods,
  readAuthSigningAlg,
  readClientResponseSigning,
  requestObjectAlgorithms,
} from './oidc-client-signing.js';
import type { OidcSigningAlgorithm } from './oidc-keys.js';

export type { ClientJwkConfig };
import { keyPath } from './problems.js';
import { type ReadContext, readBoolean, readChoice, readDuration, readList, readMapping, readSecret, readString, unsupportedAuthelia } from './reader.js';

export { type ClientAuthMethod, clientAuthMethods, requestObjectAlgorithms } from './oidc-client-signing.js';
export const knownScopes = [
  'openid',
  'profile',
  'email',
  'groups',
  'address',
  'phone',
  'offline_access',
  'offline',
  'gatehouse.bearer.authz',
  'authelia.bearer.authz',
] as const;
/** The scopes that ask for a refresh token (`offline` is Authelia's alias of OIDC's `offline_access`). */
export const offlineScopes: readonly string[] = ['offline_access', 'offline'];
/** The scopes that let an access token authorise forward-auth requests (`authelia.bearer.authz` is Authelia's name). */
export const bearerAuthzScopes: readonly string[] = ['gatehouse.bearer.authz', 'authelia.bearer.authz'];
export const supportedGrantTypes = ['authorization_code', 'refresh_token', 'client_credentials'] as const;
export const consentModes = ['auto', 'explicit', 'implicit', 'pre-configured'] as const;
/** Algorithms a client may sign request objects with. */

const implicitFlow = 'the implicit and hybrid flows (RFC 9700 §2.1.2 advises against them)';
/** Grant types, response types and modes Authelia has and Gatehouse not yet (readNames). */
const autheliaGrantTypes: AutheliaValues = {
  what: { implicit: implicitFlow, 'urn:ietf:params:oauth:grant-type:device_code': 'the device authorization grant (RFC 8628)' },
  harmless: false,
};
const autheliaResponseTypes: AutheliaValues = {
  what: Object.fromEntries(['id_token', 'token', 'id_token token', 'code id_token', 'code token', 'code id_token token'].map((t) => [t, implicitFlow])),
  harmless: false,
};
const jarm = 'JWT-secured authorization responses (JARM)';
/** Leaving a response mode out only refuses requests for it: a warning. */
const autheliaResponseModes: AutheliaValues = {
  what: { fragment: 'the fragment response mode', jwt: jarm, 'query.jwt': jarm, 'fragment.jwt': jarm, 'form_post.jwt': jarm },
  harmless: true,
};

/** A client secret as configured: a digest (verified like a password) or the plain value. */
export type ClientSecret = { readonly kind: 'digest'; readonly digest: string } | { readonly kind: 'plain'; readonly value: string };

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
  /** `<what>_signed_response_key_id`: the configured key that signs it; undefined: the algorithm's first key. */
  readonly signingKeyIds: { readonly idToken?: string | undefined; readonly userinfo?: string | undefined; readonly accessToken?: string | undefined };
  /** `<endpoint>_endpoint_auth_signing_alg`: the one algorithm the client's assertions may use there; absent: any of the method's. */
  readonly authSigningAlgs: { readonly token?: string | undefined; readonly introspection?: string | undefined; readonly revocation?: string | undefined };
  /** Copy the scope claims (profile, email, groups …) into the ID token too. */
  readonly claimsInIdToken: boolean;
  readonly jwks: readonly ClientJwkConfig[];
  /** Where the client's public keys are fetched (`private_key_jwt`, request objects): https, or http on loopback names. */
  readonly jwksUri: string | undefined;
  /** `none` (opaque access tokens, the default) or the algorithm of RFC 9068 JWT access tokens. */
  readonly accessTokenSignedResponseAlg: OidcSigningAlgorithm | 'none';
  /** A name of `lifespans.custom`; undefined: the global lifespans. */
  readonly lifespan: string | undefined;
  /** A name of `claims_policies`. */
  readonly claimsPolicy: string | undefined;
  /** `pairwise`: a subject per sector (OIDC Core §8.1); `public`: one subject per user. */
  readonly subjectType: 'public' | 'pairwise';
  /** An https URL of a JSON array holding every redirect URI: its host is the pairwise sector. */
  readonly sectorIdentifierUri: string | undefined;
  /** Client authentication at the introspection and revocation endpoints; undefined: as at the token endpoint. */
  readonly introspectionEndpointAuthMethod: ClientAuthMethod | undefined;
  readonly revocationEndpointAuthMethod: ClientAuthMethod | undefined;
  /** The one algorithm the client's request objects must be signed with; undefined: any asymmetric one. */
  readonly requestObjectSigningAlg: (typeof requestObjectAlgorithms)[number] | undefined;
  /** A resource server: may introspect tokens issued to other clients (Gatehouse's key). */
  readonly introspectAnyToken: boolean;
  /** Where RP-initiated logout may send the browser back to: compared byte for byte (RP-Initiated Logout 1.0 §3). */
  readonly postLogoutRedirectUris: readonly string[];
  /** Back-Channel Logout 1.0: where logout tokens are POSTed, and whether they must carry `sid`. */
  readonly backchannelLogoutUri: string | undefined;
  readonly backchannelLogoutSessionRequired: boolean;
  /** Front-Channel Logout 1.0: loaded in a hidden iframe of the signed-out page, with `iss` and `sid` when required. */
  readonly frontchannelLogoutUri: string | undefined;
  readonly frontchannelLogoutSessionRequired: boolean;
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
  'id_token_signed_response_key_id',
  'userinfo_signed_response_alg',
  'userinfo_signed_response_key_id',
  'access_token_signed_response_key_id',
  'token_endpoint_auth_signing_alg',
  'introspection_endpoint_auth_signing_alg',
  'revocation_endpoint_auth_signing_alg',
  'requested_audience_mode',
  'claims_in_id_token',
  'jwks',
  'jwks_uri',
  'access_token_signed_response_alg',
  'lifespan',
  'claims_policy',
  'subject_type',
  'sector_identifier_uri',
  'introspection_endpoint_auth_method',
  'revocation_endpoint_auth_method',
  'request_object_signing_alg',
  'introspect_any_token',
  'post_logout_redirect_uris',
  'backchannel_logout_uri',
  'backchannel_logout_session_required',
  'frontchannel_logout_uri',
  'frontchannel_logout_session_required',
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
  const scopes = readNames(ctx, p('scopes'), raw.scopes, knownScopes, undefined, ['openid', 'groups', 'profile', 'email']);
  const grantTypes = readNames(ctx, p('grant_types'), raw.grant_types, [...supportedGrantTypes], autheliaGrantTypes, ['authorization_code']);
  const responseTypes = readNames(ctx, p('response_types'), raw.response_types, ['code'], autheliaResponseTypes, ['code']);
  const responseModes = readNames(ctx, p('response_modes'), raw.response_modes, ['query', 'form_post'], autheliaResponseModes, ['form_post', 'query']) as (
    | 'query'
    | 'form_post'
  )[];
  const pkceMethod = readChoice(ctx, p('pkce_challenge_method'), raw.pkce_challenge_method, ['', 'S256', 'plain'] as const, '');
  if (pkceMethod === 'plain' && !plainAllowed) {
    ctx.problems.error(p('pkce_challenge_method'), "must be 'S256' unless enable_pkce_plain_challenge is true but is 'plain'");
  }
  const consent = readChoice(ctx, p('consent_mode'), raw.consent_mode, consentModes, 'auto');
  const signing = readClientResponseSigning(ctx, at, raw);
  readAudienceMode(ctx, p('requested_audience_mode'), raw.requested_audience_mode);
  const config: OidcClientConfig = {
    id: id ?? '',
    name: readString(ctx, p('client_name'), raw.client_name) ?? id ?? '',
    secret,
    public: isPublic,
    authorizationPolicy: readPolicy(ctx, p('authorization_policy'), raw.authorization_policy),
    consentMode: consent === 'auto' ? (raw.pre_configured_consent_duration !== undefined ? 'pre-configured' : 'explicit') : consent,
    preConfiguredConsentDuration: readDuration(ctx, p('pre_configured_consent_duration'), raw.pre_configured_consent_duration, 7 * 86_400_000, { min: 1000 }),
    // A client that only uses client_credentials never redirects anyone.
    redirectUris: readRedirectUris(ctx, p('redirect_uris'), raw.redirect_uris, grantTypes.includes('authorization_code')),
    scopes,
    grantTypes,
    responseTypes,
    responseModes,
    tokenEndpointAuthMethod: method,
    requirePkce: readBoolean(ctx, p('require_pkce'), raw.require_pkce, false) || pkceMethod !== '',
    pkceChallengeMethod: pkceMethod === '' ? undefined : pkceMethod,
    audience: readList(ctx, p('audience'), raw.audience, (entry, entryAt) => readString(ctx, entryAt, entry, { required: true })),
    idTokenSignedResponseAlg: signing.idToken.alg,
    userinfoSignedResponseAlg: signing.userinfo.alg,
    signingKeyIds: { idToken: signing.idToken.keyId, userinfo: signing.userinfo.keyId, accessToken: signing.accessToken.keyId },
    authSigningAlgs: readAuthSigningAlgs(ctx, at, raw, method, isPublic),
    claimsInIdToken: readBoolean(ctx, p('claims_in_id_token'), raw.claims_in_id_token, false),
    jwks: readClientJwks(ctx, p('jwks'), raw.jwks),
    jwksUri: readClientUrl(ctx, p('jwks_uri'), raw.jwks_uri, true),
    accessTokenSignedResponseAlg: signing.accessToken.alg,
    lifespan: readName(ctx, p('lifespan'), raw.lifespan),
    claimsPolicy: readName(ctx, p('claims_policy'), raw.claims_policy),
    subjectType: readChoice(ctx, p('subject_type'), raw.subject_type, ['public', 'pairwise'] as const, 'public'),
    sectorIdentifierUri: readClientUrl(ctx, p('sector_identifier_uri'), raw.sector_identifier_uri, false),
    introspectionEndpointAuthMethod: readMethod(ctx, p('introspection_endpoint_auth_method'), raw.introspection_endpoint_auth_method, isPublic),
    revocationEndpointAuthMethod: readMethod(ctx, p('revocation_endpoint_auth_method'), raw.revocation_endpoint_auth_method, isPublic),
    requestObjectSigningAlg:
      raw.request_object_signing_alg === undefined
        ? undefined
        : readChoice(ctx, p('request_object_signing_alg'), raw.request_object_signing_alg, requestObjectAlgorithms, 'RS256'),
    introspectAnyToken: readBoolean(ctx, p('introspect_any_token'), raw.introspect_any_token, false),
    postLogoutRedirectUris: readRedirectUris(ctx, p('post_logout_redirect_uris'), raw.post_logout_redirect_uris, false),
    backchannelLogoutUri: readClientUrl(ctx, p('backchannel_logout_uri'), raw.backchannel_logout_uri, true),
    backchannelLogoutSessionRequired: readBoolean(ctx, p('backchannel_logout_session_required'), raw.backchannel_logout_session_required, false),
    frontchannelLogoutUri: readClientUrl(ctx, p('frontchannel_logout_uri'), raw.frontchannel_logout_uri, true),
    frontchannelLogoutSessionRequired: readBoolean(ctx, p('frontchannel_logout_session_required'), raw.frontchannel_logout_session_required, false),
  };
  checkKeysAndGrants(ctx, at, config, method);
  return config;
}

/** A name of a provider-level map (`lifespan`, `claims_policy`); empty is absent, as Authelia's examples write it. */
function readName(ctx: ReadContext, path: string, value: unknown): string | undefined {
  const name = readString(ctx, path, value);
  return name === '' ? undefined : name;
}

/** `authorization_policy`: `one_factor` or `two_factor`; any other name is one of Authelia's `authorization_policies`. */
function readPolicy(ctx: ReadContext, path: string, value: unknown): 'one_factor' | 'two_factor' {
  if (typeof value === 'string' && value !== '' && value !== 'one_factor' && value !== 'two_factor') {
    unsupportedAuthelia(ctx, path, `the custom authorization policy '${value}' of authorization_policies; use one_factor or two_factor`);
    return 'two_factor';
  }
  return readChoice(ctx, path, value === '' ? undefined : value, ['one_factor', 'two_factor'] as const, 'two_factor');
}

/**
 * `requested_audience_mode`: Gatehouse grants a client every audience of its `audience` list without
 * the client asking (Authelia's `implicit`); Authelia's `explicit` (only the audiences a request
 * names) is not implemented yet.
 */
function readAudienceMode(ctx: ReadContext, path: string, value: unknown): void {
  if (value === 'explicit') {
    unsupportedAuthelia(ctx, path, "the 'explicit' mode: Gatehouse grants every audience of the client's list, Authelia's 'implicit' mode");
    return;
  }
  readChoice(ctx, path, value, ['implicit'] as const, 'implicit');
}

/** Each endpoint's `<endpoint>_endpoint_auth_signing_alg`, against the method used there. */
function readAuthSigningAlgs(ctx: ReadContext, at: string, raw: Record<string, unknown>, method: ClientAuthMethod | undefined, isPublic: boolean) {
  const out: Record<string, string | undefined> = {};
  for (const endpoint of authEndpoints) {
    const own = endpoint === 'token' ? undefined : raw[`${endpoint}_endpoint_auth_method`];
    const used = typeof own === 'string' ? (own as ClientAuthMethod) : (method ?? (isPublic ? 'none' : undefined));
    const key = `${endpoint}_endpoint_auth_signing_alg`;
    out[endpoint] = readAuthSigningAlg(ctx, keyPath(at, key), raw[key], used);
  }
  return out as OidcClientConfig['authSigningAlgs'];
}

/** What must hold between a client's keys, grants, scopes and subject type. */
function checkKeysAndGrants(ctx: ReadContext, at: string, c: OidcClientConfig, method: ClientAuthMethod | undefined): void {
  const p = (key: string) => keyPath(at, key);
  if (c.jwks.length > 0 && c.jwksUri !== undefined) ctx.problems.error(p('jwks_uri'), 'must not be set together with jwks (RFC 7591 §2): choose one');
  const signsWithKeys = [method, c.introspectionEndpointAuthMethod, c.revocationEndpointAuthMethod].includes('private_key_jwt');
  if (signsWithKeys && c.jwks.length === 0 && c.jwksUri === undefined) {
    ctx.problems.error(
      p('jwks'),
      "must list the client's public keys, or jwks_uri give their address, when it authenticates with 'private_key_jwt' but both are absent",
    );
  }
  if (c.introspectAnyToken && c.public) {
    ctx.problems.error(p('introspect_any_token'), 'must not be true for a public client: introspecting other clients’ tokens needs client authentication');
  }
  if (c.grantTypes.includes('client_credentials') && c.public) {
    ctx.problems.error(p('grant_types'), "must not include 'client_credentials' for a public client: the grant needs client authentication (RFC 6749 §4.4)");
  }
  const offline = c.scopes.some((s) => offlineScopes.includes(s));
  if (c.grantTypes.includes('refresh_token') && !offline) {
    ctx.problems.warn(
      p('scopes'),
      "lacks 'offline_access': with grant_types 'refresh_token' a refresh token is issued only when the user grants 'offline_access'",
    );
  }
  if (offline && !c.grantTypes.includes('refresh_token')) {
    ctx.problems.warn(p('grant_types'), "lacks 'refresh_token': the scope 'offline_access' has no effect without it");
  }
  if (c.subjectType === 'pairwise' && c.sectorIdentifierUri === undefined) {
    const hosts = new Set(c.redirectUris.map((u) => new URL(u).host));
    if (hosts.size > 1) {
      ctx.problems.error(
        p('sector_identifier_uri'),
        `must be set for a pairwise client whose redirect_uris are on several hosts (${[...hosts].join(', ')}); OIDC Core §8.1`,
      );
    }
  }
}

/** An absolute URL of a client: https, or with `loopbackHttp` also http on `localhost`, `*.localhost` or a loopback address. */
function readClientUrl(ctx: ReadContext, path: string, value: unknown, loopbackHttp: boolean): string | undefined {
  const text = readString(ctx, path, value);
  if (text === undefined || text === '') return undefined;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    ctx.problems.error(path, `must be an absolute https URL but is '${text}'`);
    return undefined;
  }
  const loopback = /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])$|\.localhost$/.test(url.hostname);
  if (url.protocol === 'https:' || (loopbackHttp && url.protocol === 'http:' && loopback)) return url.href;
  const allowed = loopbackHttp ? 'https (http only on localhost)' : 'https';
  ctx.problems.error(path, `must use ${allowed} but is '${text}'`);
  return undefined;
}

/** An endpoint's client authentication method: one of the token endpoint's, `none` only for public clients. */
function readMethod(ctx: ReadContext, path: string, value: unknown, isPublic: boolean): ClientAuthMethod | undefined {
  if (value === undefined) return undefined;
  const method = readChoice(ctx, path, value, clientAuthMethods, 'none');
  if (isPublic && method !== 'none') ctx.problems.error(path, `must be 'none' for a public client but is '${method}'`);
  if (!isPublic && method === 'none') ctx.problems.error(path, "must not be 'none' unless the client is public (public: true)");
  return method;
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
