import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { configOf, minimalRaw, problemsOf } from '../helpers/config.js';
import { parseConfig } from '../../src/config/load.js';

const base = minimalRaw('/tmp/gatehouse');
const client = { client_id: 'app', client_secret: 'app-secret-0123456789', redirect_uris: ['https://app.example.com/cb'] };
const oidc = (o: Record<string, unknown>) => ({
  ...base,
  identity_providers: { oidc: { hmac_secret: 'a-very-long-hmac-secret-0123', clients: [client], ...o } },
});
const withClient = (c: Record<string, unknown>) => oidc({ clients: [{ ...client, ...c }] });
const at = 'identity_providers.oidc';

describe('identity_providers.oidc configuration', () => {
  it("applies Authelia's defaults", () => {
    const config = configOf(oidc({})).identityProviders.oidc!;
    expect(config.lifespans).toEqual({
      accessToken: 3_600_000,
      authorizeCode: 60_000,
      idToken: 3_600_000,
      refreshToken: 5_400_000,
      refreshTokenReuseGrace: 5_000,
      grant: 30 * 86_400_000,
      custom: new Map(),
    });
    expect(config.enforcePkce).toBe('public_clients_only');
    expect(config.clients[0]).toMatchObject({
      name: 'app',
      public: false,
      authorizationPolicy: 'two_factor',
      consentMode: 'explicit',
      scopes: ['openid', 'groups', 'profile', 'email'],
      grantTypes: ['authorization_code'],
      responseTypes: ['code'],
      tokenEndpointAuthMethod: undefined,
      secret: { kind: 'plain', value: 'app-secret-0123456789' },
    });
    expect(configOf(withClient({ pre_configured_consent_duration: '1w' })).identityProviders.oidc!.clients[0]!.consentMode).toBe('pre-configured');
  });

  it.each<[string, Record<string, unknown>, string[]]>([
    ['missing hmac_secret', oidc({ hmac_secret: undefined }), [`${at}.hmac_secret: must be set but is absent`]],
    ['short hmac_secret', oidc({ hmac_secret: 'short' }), [`${at}.hmac_secret: must be at least 20 characters but is 5 characters`]],
    ['no clients', oidc({ clients: [] }), [`${at}.clients: must list at least one client but is empty`]],
    [
      'bad enforce_pkce',
      oidc({ enforce_pkce: 'sometimes' }),
      [`${at}.enforce_pkce: must be one of 'never', 'public_clients_only', 'always' but is 'sometimes'`],
    ],
    ['duplicate client', oidc({ clients: [client, client] }), [`${at}.clients[1].client_id: must be unique but 'app' is also ${at}.clients[0]`]],
    ['unknown client key', withClient({ redirect_uri: 'x' }), [`${at}.clients[0].redirect_uri: is not a known key, did you mean 'redirect_uris'?`]],
    ['public with secret', withClient({ public: true }), [`${at}.clients[0].client_secret: must be empty for a public client but is set`]],
    [
      'confidential without secret',
      withClient({ client_secret: undefined }),
      [`${at}.clients[0].client_secret: must be set for a confidential client but is absent`],
    ],
    [
      'bad digest',
      withClient({ client_secret: '$pbkdf2-sha512$x' }),
      [
        `${at}.clients[0].client_secret: must be a digest such as '$pbkdf2-sha512$…' or '$argon2id$…' (see gatehouse hash-password) or a plain secret, but its digest format is not recognised`,
      ],
    ],
    [
      'fragment in redirect URI',
      withClient({ redirect_uris: ['https://app.example.com/cb#x'] }),
      [`${at}.clients[0].redirect_uris[0]: must not contain a fragment ('#') but is 'https://app.example.com/cb#x'`],
    ],
    [
      'relative redirect URI',
      withClient({ redirect_uris: ['/cb'] }),
      [`${at}.clients[0].redirect_uris[0]: must be an absolute URL such as 'https://app.example.com/callback' but is '/cb'`],
    ],
    [
      'implicit response type',
      withClient({ response_types: ['id_token'] }),
      [
        `${at}.clients[0].response_types[0]: is an Authelia option that Gatehouse does not support yet (the implicit and hybrid flows (RFC 9700 §2.1.2 advises against them))`,
      ],
    ],
    [
      'plain PKCE not enabled',
      withClient({ pkce_challenge_method: 'plain' }),
      [`${at}.clients[0].pkce_challenge_method: must be 'S256' unless enable_pkce_plain_challenge is true but is 'plain'`],
    ],
    [
      'unreadable key',
      oidc({ jwks: [{ key: 'nope' }] }),
      [`${at}.jwks[0].key: must be a PEM private key (-----BEGIN PRIVATE KEY-----) but cannot be read as one`],
    ],
  ])('%s', (_name, raw, expected) => {
    expect(problemsOf(raw)).toEqual(expected);
  });

  it("drops 'authorization' from cors.endpoints with a warning (RFC 9700 §4.16; Authelia allows it)", () => {
    const { config, warnings } = parseConfig(oidc({ cors: { endpoints: ['authorization', 'token'] } }), { env: {}, baseDir: '/tmp' });
    expect(config.identityProviders.oidc?.cors.endpoints).toEqual(['token']);
    expect(warnings).toContain(
      `${at}.cors.endpoints[0]: 'authorization' is dropped: RFC 9700 §4.16 forbids CORS at the authorization endpoint (Authelia allows it)`,
    );
  });

  it('accepts configured RS256 and ES256 keys and requires an RS256 one', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const config = configOf(
      oidc({
        jwks: [
          { key_id: 'main', key: rsa },
          { key_id: 'ec', algorithm: 'ES256', key: ec },
        ],
      }),
    ).identityProviders.oidc!;
    expect(config.jwks.map((k) => [k.keyId, k.algorithm])).toEqual([
      ['main', 'RS256'],
      ['ec', 'ES256'],
    ]);
    expect(problemsOf(oidc({ jwks: [{ key: ec }] }))).toEqual([
      `${at}.jwks: must hold at least one RS256 key (the default ID token algorithm) but has none`,
      `${at}.clients[0].id_token_signed_response_alg: must be an algorithm of a key in identity_providers.oidc.jwks but is 'RS256'`,
    ]);
    expect(
      problemsOf(
        oidc({
          jwks: [
            { key: rsa, key_id: 'a' },
            { key: rsa, key_id: 'a' },
          ],
        }),
      ),
    ).toEqual([`${at}.jwks[1].key_id: must be unique but 'a' is also the key_id of ${at}.jwks[0]`]);
  });

  it('takes client secrets from the environment and checks oauth2:client: subjects against the clients', () => {
    const fromEnv = configOf(withClient({ client_secret: undefined }), { GATEHOUSE_IDENTITY_PROVIDERS_OIDC_CLIENTS_0_CLIENT_SECRET: 'from-env' });
    expect(fromEnv.identityProviders.oidc!.clients[0]!.secret).toEqual({ kind: 'plain', value: 'from-env' });
    const rules = { default_policy: 'deny', rules: [{ domain: 'x.example.com', subject: 'oauth2:client:ghost', policy: 'one_factor' }] };
    expect(problemsOf({ ...oidc({}), access_control: rules })).toEqual([
      "access_control.rules[0].subject[0]: must name a client from identity_providers.oidc.clients but is 'oauth2:client:ghost'",
    ]);
    expect(() => configOf({ ...oidc({}), access_control: { ...rules, rules: [{ ...rules.rules[0], subject: 'oauth2:client:app' }] } })).not.toThrow();
  });
});
