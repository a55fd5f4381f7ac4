import { createHash, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { configOf, minimalRaw, problemsOf } from '../helpers/config.js';

const base = minimalRaw('/tmp/gatehouse');
const client = { client_id: 'app', client_secret: 'app-secret-0123456789', redirect_uris: ['https://app.example.com/cb'] };
const pem = (kind: 'rsa' | 'ec') =>
  (kind === 'rsa' ? generateKeyPairSync('rsa', { modulusLength: 2048 }) : generateKeyPairSync('ec', { namedCurve: 'P-256' })).privateKey
    .export({ type: 'pkcs8', format: 'pem' })
    .toString();
const rsa = pem('rsa');
const ec = pem('ec');
const oidc = (o: Record<string, unknown>) => ({
  ...base,
  identity_providers: { oidc: { hmac_secret: 'a-very-long-hmac-secret-0123', clients: [client], ...o } },
});
const withClient = (c: Record<string, unknown>, o: Record<string, unknown> = {}) => oidc({ ...o, clients: [{ ...client, ...c }] });
const at = 'identity_providers.oidc';
const warningsOf = (raw: unknown) => parseConfig(raw, { env: {}, baseDir: '/tmp' }).warnings;
const unsupported = (path: string, what: string) => `${path}: is an Authelia option that Gatehouse does not support yet (${what})`;
const jwks = [
  { key_id: 'main', algorithm: 'RS256', use: 'sig', key: rsa },
  { key_id: 'ec', algorithm: 'ES256', key: ec },
];

describe('identity_providers.oidc: enable_client_debug_messages and minimum_parameter_entropy', () => {
  it("defaults as Authelia's: no debug messages, 8 characters", () => {
    const config = configOf(oidc({})).identityProviders.oidc!;
    expect(config.enableClientDebugMessages).toBe(false);
    expect(config.minimumParameterEntropy).toBe(8);
  });

  it.each<[unknown, number, string | undefined]>([
    [0, 8, undefined],
    [20, 20, undefined],
    [-1, 0, 'is -1: state and nonce of any length are accepted'],
    [4, 4, 'is 4, below the default 8: a state that short can be guessed, which weakens CSRF protection'],
  ])('minimum_parameter_entropy %s reads as %s', (value, expected, warning) => {
    const raw = oidc({ minimum_parameter_entropy: value });
    expect(configOf(raw).identityProviders.oidc!.minimumParameterEntropy).toBe(expected);
    const warnings = warningsOf(raw).filter((w) => w.includes('minimum_parameter_entropy'));
    if (warning === undefined) expect(warnings).toEqual([]);
    else expect(warnings).toEqual([expect.stringContaining(`${at}.minimum_parameter_entropy: ${warning}`)]);
  });

  it('refuses entropy below -1, a non-number, and a non-boolean debug flag', () => {
    expect(problemsOf(oidc({ minimum_parameter_entropy: -2, enable_client_debug_messages: 'yes' }))).toEqual([
      `${at}.enable_client_debug_messages: must be true or false but is 'yes'`,
      `${at}.minimum_parameter_entropy: must be at least -1 but is -2`,
    ]);
    expect(problemsOf(oidc({ minimum_parameter_entropy: 'eight' }))).toEqual([`${at}.minimum_parameter_entropy: must be a whole number but is 'eight'`]);
  });
});

describe('identity_providers.oidc: clients', () => {
  it('says an empty list is empty, an absent one absent', () => {
    expect(problemsOf(oidc({ clients: [] }))).toEqual([`${at}.clients: must list at least one client but is empty`]);
    expect(problemsOf(oidc({ clients: undefined }))).toEqual([`${at}.clients: must list at least one client but is absent`]);
  });

  it("reads Authelia's empty lifespan and claims_policy as absent", () => {
    const c = configOf(withClient({ lifespan: '', claims_policy: '' })).identityProviders.oidc!.clients[0]!;
    expect(c.lifespan).toBeUndefined();
    expect(c.claimsPolicy).toBeUndefined();
  });

  it('uses a named custom lifespan, per grant', () => {
    const config = configOf(
      withClient({ lifespan: 'short' }, { lifespans: { custom: { short: { access_token: '5 minutes', grants: { refresh_token: { access_token: '2m' } } } } } }),
    ).identityProviders.oidc!;
    expect(config.clients[0]!.lifespan).toBe('short');
    expect(config.lifespans.custom.get('short')).toMatchObject({ accessToken: 300_000, grants: { refresh_token: { accessToken: 120_000 } } });
  });
});

describe('identity_providers.oidc: signing keys and algorithms', () => {
  it('signs with the key a *_key_id names, taking its algorithm', () => {
    const c = configOf(
      withClient({ id_token_signed_response_key_id: 'ec', userinfo_signed_response_key_id: 'main', access_token_signed_response_key_id: 'ec' }, { jwks }),
    ).identityProviders.oidc!.clients[0]!;
    expect(c.signingKeyIds).toEqual({ idToken: 'ec', userinfo: 'main', accessToken: 'ec' });
    expect([c.idTokenSignedResponseAlg, c.userinfoSignedResponseAlg, c.accessTokenSignedResponseAlg]).toEqual(['ES256', 'RS256', 'ES256']);
  });

  it("matches a key id derived from the thumbprint (Authelia's default)", () => {
    const jwk = createPublicKey(rsa).export({ format: 'jwk' });
    const derived = `${createHash('sha256')
      .update(JSON.stringify({ e: jwk.e, kty: jwk.kty, n: jwk.n }))
      .digest('hex')
      .slice(0, 7)}-rs256`;
    const c = configOf(withClient({ id_token_signed_response_key_id: derived }, { jwks: [{ key: rsa }] })).identityProviders.oidc!.clients[0]!;
    expect(c.signingKeyIds.idToken).toBe(derived);
  });

  it('refuses a key id that names no configured key', () => {
    expect(problemsOf(withClient({ id_token_signed_response_key_id: 'nope' }, { jwks }))).toEqual([
      `${at}.clients[0].id_token_signed_response_key_id: must name a key of identity_providers.oidc.jwks but is 'nope'; the key ids are main, ec`,
    ]);
    expect(problemsOf(withClient({ userinfo_signed_response_key_id: 'main' }))).toEqual([
      `${at}.clients[0].userinfo_signed_response_key_id: must name a key of identity_providers.oidc.jwks but is 'main'; none is configured (generated keys have no fixed key_id)`,
    ]);
  });

  it("refuses Authelia's other algorithms in one grammar, and keeps 'none' for access tokens and userinfo", () => {
    expect(problemsOf(withClient({ id_token_signed_response_alg: 'PS256', access_token_signed_response_alg: 'ES384' }))).toEqual([
      unsupported(`${at}.clients[0].id_token_signed_response_alg`, "signing with 'PS256'; Gatehouse signs with RS256 and ES256"),
      unsupported(`${at}.clients[0].access_token_signed_response_alg`, "signing with 'ES384'; Gatehouse signs with RS256 and ES256"),
    ]);
    expect(problemsOf(oidc({ jwks: [{ key_id: 'k', algorithm: 'RS512', key: rsa }] }))).toContain(
      unsupported(`${at}.jwks[0].algorithm`, "signing with 'RS512'; Gatehouse signs with RS256 and ES256"),
    );
    const c = configOf(withClient({ access_token_signed_response_alg: 'none', userinfo_signed_response_alg: 'none' })).identityProviders.oidc!.clients[0]!;
    expect([c.accessTokenSignedResponseAlg, c.userinfoSignedResponseAlg]).toEqual(['none', 'none']);
  });

  it('is no "did you mean" for an Authelia key the client reader knows', () => {
    const problems = problemsOf(withClient({ access_token_signed_response_alg: 'HS256' }));
    expect(problems).toEqual([`${at}.clients[0].access_token_signed_response_alg: must be one of 'none', 'RS256', 'ES256' but is 'HS256'`]);
    expect(problems.join()).not.toContain('did you mean');
  });

  it('refuses encryption keys and certificate chains of provider keys; an empty chain is a warning', () => {
    expect(problemsOf(oidc({ jwks: [{ ...jwks[0], use: 'enc', certificate_chain: '-----BEGIN CERTIFICATE-----' }] }))).toEqual([
      unsupported(`${at}.jwks[0].use`, 'encryption keys: Gatehouse encrypts no response'),
      unsupported(`${at}.jwks[0].certificate_chain`, 'certificate chains (x5c) in the published keys'),
    ]);
    expect(warningsOf(oidc({ jwks: [{ ...jwks[0], certificate_chain: '' }] }))).toContainEqual(
      expect.stringContaining(`${at}.jwks[0].certificate_chain: is an Authelia option that Gatehouse does not support yet`),
    );
  });

  it('reads <endpoint>_endpoint_auth_signing_alg against the method, warning where no JWT is sent', () => {
    const pk = { token_endpoint_auth_method: 'private_key_jwt', jwks: [{ key_id: 'c', key: createPublicKey(rsa).export({ type: 'spki', format: 'pem' }) }] };
    const c = configOf(withClient({ ...pk, token_endpoint_auth_signing_alg: 'PS256', introspection_endpoint_auth_signing_alg: 'ES256' })).identityProviders
      .oidc!.clients[0]!;
    expect(c.authSigningAlgs).toEqual({ token: 'PS256', introspection: 'ES256', revocation: undefined });
    expect(problemsOf(withClient({ ...pk, token_endpoint_auth_signing_alg: 'HS256' }))).toEqual([
      `${at}.clients[0].token_endpoint_auth_signing_alg: must be one of 'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA' but is 'HS256'`,
    ]);
    const basic = withClient({ token_endpoint_auth_method: 'client_secret_basic', token_endpoint_auth_signing_alg: 'RS256' });
    expect(configOf(basic).identityProviders.oidc!.clients[0]!.authSigningAlgs.token).toBeUndefined();
    expect(warningsOf(basic)).toContainEqual(
      `${at}.clients[0].token_endpoint_auth_signing_alg: has no effect: the client does not authenticate with a JWT here (the method is 'client_secret_basic')`,
    );
  });
});

describe('identity_providers.oidc: Authelia options and values not implemented yet', () => {
  it.each<[string, Record<string, unknown>, string]>([
    [
      'a named authorization policy',
      { authorization_policy: 'admins' },
      "the custom authorization policy 'admins' of authorization_policies; use one_factor or two_factor",
    ],
    [
      'the explicit audience mode',
      { requested_audience_mode: 'explicit' },
      "the 'explicit' mode: Gatehouse grants every audience of the client's list, Authelia's 'implicit' mode",
    ],
  ])('%s', (_name, c, what) => {
    const key = Object.keys(c)[0]!;
    expect(problemsOf(withClient(c))).toEqual([unsupported(`${at}.clients[0].${key}`, what)]);
  });

  it('refuses the implicit and device grants and other response types; drops other response modes with a warning', () => {
    expect(problemsOf(withClient({ grant_types: ['authorization_code', 'implicit'], response_types: ['code', 'code id_token'] }))).toEqual([
      unsupported(`${at}.clients[0].grant_types[1]`, 'the implicit and hybrid flows (RFC 9700 §2.1.2 advises against them)'),
      unsupported(`${at}.clients[0].response_types[1]`, 'the implicit and hybrid flows (RFC 9700 §2.1.2 advises against them)'),
    ]);
    const raw = withClient({ response_modes: ['form_post', 'query', 'fragment'] });
    expect(configOf(raw).identityProviders.oidc!.clients[0]!.responseModes).toEqual(['form_post', 'query']);
    expect(warningsOf(raw)).toContainEqual(
      expect.stringContaining(`${at}.clients[0].response_modes[2]: is an Authelia option that Gatehouse does not support yet (the fragment response mode)`),
    );
  });

  it('accepts the implicit audience mode (what Gatehouse does) and the specification ID token audience', () => {
    expect(() =>
      configOf(withClient({ requested_audience_mode: 'implicit' }, { claims_policies: { p: { id_token_audience_mode: 'specification' } } })),
    ).not.toThrow();
  });

  it('refuses custom claims and the merged ID token audience; empty custom claims are a warning', () => {
    expect(problemsOf(oidc({ claims_policies: { p: { custom_claims: { x: {} }, id_token_audience_mode: 'experimental-merged' } } }))).toEqual([
      unsupported(`${at}.claims_policies.p.custom_claims`, 'custom claims from user attributes; claims come from the users file'),
      unsupported(`${at}.claims_policies.p.id_token_audience_mode`, "the 'experimental-merged' ID token audience"),
    ]);
    expect(warningsOf(oidc({ claims_policies: { p: { custom_claims: {} } } }))).toContainEqual(
      expect.stringContaining(`${at}.claims_policies.p.custom_claims: is an Authelia option`),
    );
  });

  it("starts Authelia's documented client example as far as Gatehouse has its features", () => {
    const example = {
      ...client,
      sector_identifier_uri: undefined,
      public: false,
      audience: ['https://app.example.com'],
      scopes: ['openid', 'groups', 'email', 'profile'],
      grant_types: ['refresh_token', 'authorization_code'],
      response_types: ['code'],
      response_modes: ['form_post', 'query'],
      authorization_policy: 'two_factor',
      lifespan: '',
      claims_policy: '',
      consent_mode: 'explicit',
      pre_configured_consent_duration: '1 week',
      require_pkce: false,
      pkce_challenge_method: 'S256',
      id_token_signed_response_key_id: '',
      id_token_signed_response_alg: 'RS256',
      access_token_signed_response_key_id: '',
      access_token_signed_response_alg: 'none',
      userinfo_signed_response_key_id: '',
      userinfo_signed_response_alg: 'none',
      request_object_signing_alg: 'RS256',
      token_endpoint_auth_method: 'client_secret_basic',
      token_endpoint_auth_signing_alg: 'RS256',
      revocation_endpoint_auth_method: 'client_secret_basic',
      revocation_endpoint_auth_signing_alg: 'RS256',
      introspection_endpoint_auth_method: 'client_secret_basic',
      introspection_endpoint_auth_signing_alg: 'RS256',
      jwks_uri: '',
    };
    const c = configOf(oidc({ clients: [example] })).identityProviders.oidc!.clients[0]!;
    expect(c).toMatchObject({ lifespan: undefined, claimsPolicy: undefined, idTokenSignedResponseAlg: 'RS256', accessTokenSignedResponseAlg: 'none' });
  });
});
