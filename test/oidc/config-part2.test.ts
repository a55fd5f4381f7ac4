/** Configuration keys of the provider's second part (issue 11): lifespans, claims policies, client keys. */
import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { configOf, minimalRaw, problemsOf } from '../helpers/config.js';

const base = minimalRaw('/tmp/gatehouse');
const client = { client_id: 'app', client_secret: 'app-secret-0123456789', redirect_uris: ['https://app.example.com/cb'] };
const oidc = (o: Record<string, unknown>) => ({
  ...base,
  identity_providers: { oidc: { hmac_secret: 'a-very-long-hmac-secret-0123', clients: [client], ...o } },
});
const withClient = (c: Record<string, unknown>, o: Record<string, unknown> = {}) => oidc({ clients: [{ ...client, ...c }], ...o });
const at = 'identity_providers.oidc';
const publicPem = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
const rsaPem = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

describe('identity_providers.oidc, part 2 keys', () => {
  it('reads custom lifespans with per-grant overrides and the client that names one', () => {
    const config = configOf(
      withClient(
        { lifespan: 'long', grant_types: ['authorization_code', 'refresh_token'], scopes: ['openid', 'offline_access'] },
        {
          lifespans: {
            refresh_token_reuse_grace: '10s',
            grant: '14d',
            custom: { long: { access_token: '2h', refresh_token: '30d', grants: { refresh_token: { access_token: '15m' } } } },
          },
        },
      ),
    ).identityProviders.oidc!;
    expect(config.lifespans.refreshTokenReuseGrace).toBe(10_000);
    expect(config.lifespans.grant).toBe(14 * 86_400_000);
    expect(config.lifespans.custom.get('long')).toEqual({
      accessToken: 7_200_000,
      authorizeCode: 60_000,
      idToken: 3_600_000,
      refreshToken: 30 * 86_400_000,
      grants: { refresh_token: { accessToken: 900_000 } },
    });
    expect(config.clients[0]).toMatchObject({ lifespan: 'long', grantTypes: ['authorization_code', 'refresh_token'], accessTokenSignedResponseAlg: 'none' });
  });

  it('reads the new client keys', () => {
    const c = configOf(
      withClient(
        {
          jwks_uri: 'https://app.example.com/jwks.json',
          access_token_signed_response_alg: 'RS256',
          subject_type: 'pairwise',
          sector_identifier_uri: 'https://app.example.com/sector.json',
          introspection_endpoint_auth_method: 'client_secret_post',
          revocation_endpoint_auth_method: 'client_secret_basic',
          request_object_signing_alg: 'ES256',
          introspect_any_token: true,
          claims_policy: 'rich',
          scopes: ['openid', 'gatehouse.bearer.authz'],
        },
        { claims_policies: { rich: { id_token: ['email', 'groups'], access_token: ['groups'] } } },
      ),
    ).identityProviders.oidc!;
    expect(c.claimsPolicies.get('rich')).toEqual({ idToken: ['email', 'groups'], accessToken: ['groups'] });
    expect(c.clients[0]).toMatchObject({
      jwksUri: 'https://app.example.com/jwks.json',
      accessTokenSignedResponseAlg: 'RS256',
      subjectType: 'pairwise',
      sectorIdentifierUri: 'https://app.example.com/sector.json',
      introspectionEndpointAuthMethod: 'client_secret_post',
      revocationEndpointAuthMethod: 'client_secret_basic',
      requestObjectSigningAlg: 'ES256',
      introspectAnyToken: true,
      claimsPolicy: 'rich',
    });
  });

  it.each<[string, Record<string, unknown>, string[]]>([
    [
      'unknown lifespan name',
      withClient({ lifespan: 'nope' }),
      [`${at}.clients[0].lifespan: must name an entry of identity_providers.oidc.lifespans.custom but is 'nope'`],
    ],
    [
      'unknown claims policy',
      withClient({ claims_policy: 'nope' }),
      [`${at}.clients[0].claims_policy: must name an entry of identity_providers.oidc.claims_policies but is 'nope'`],
    ],
    [
      'custom claims',
      oidc({ claims_policies: { p: { custom_claims: { x: {} } } } }),
      [
        `${at}.claims_policies.p.custom_claims: is an Authelia option that Gatehouse does not support yet (custom claims from user attributes; claims come from the users file)`,
      ],
    ],
    // Found by test/fuzz/config-loader.test.ts: these two messages read "but is '[object Object]'".
    [
      'an audience mode of another type',
      oidc({ claims_policies: { p: { id_token_audience_mode: { mode: 'specification' } } } }),
      [`${at}.claims_policies.p.id_token_audience_mode: must be 'specification' but is a mapping`],
    ],
    [
      "a signing key's use of another type",
      oidc({ jwks: [{ key_id: 'main', algorithm: 'RS256', use: ['sig'], key: rsaPem }] }),
      [`${at}.jwks[0].use: must be 'sig' but is a list`],
    ],
    [
      'unknown claim in a policy',
      oidc({ claims_policies: { p: { id_token: ['shoe_size'] } } }),
      [
        expect.stringMatching(
          new RegExp(`^${at}\\.claims_policies\\.p\\.id_token\\[0\\]: must be one of the standard claims .* but is 'shoe_size'$`),
        ) as unknown as string,
      ],
    ],
    [
      'grace above a minute',
      oidc({ lifespans: { refresh_token_reuse_grace: '2m' } }),
      [`${at}.lifespans.refresh_token_reuse_grace: must be at most 1 minute (a replay window) but is 120 seconds`],
    ],
    [
      'client_credentials for a public client',
      withClient({ client_secret: undefined, public: true, grant_types: ['client_credentials'] }),
      [`${at}.clients[0].grant_types: must not include 'client_credentials' for a public client: the grant needs client authentication (RFC 6749 §4.4)`],
    ],
    [
      'jwks and jwks_uri',
      withClient({ jwks_uri: 'https://app.example.com/jwks', jwks: [{ key: publicPem, algorithm: 'ES256' }] }),
      [`${at}.clients[0].jwks_uri: must not be set together with jwks (RFC 7591 §2): choose one`],
    ],
    [
      'plain http jwks_uri',
      withClient({ jwks_uri: 'http://app.example.com/jwks' }),
      [`${at}.clients[0].jwks_uri: must use https (http only on localhost) but is 'http://app.example.com/jwks'`],
    ],
    [
      'private_key_jwt without keys',
      withClient({ client_secret: undefined, token_endpoint_auth_method: 'private_key_jwt' }),
      [
        `${at}.clients[0].jwks: must list the client's public keys, or jwks_uri give their address, when it authenticates with 'private_key_jwt' but both are absent`,
      ],
    ],
    [
      'pairwise over several hosts without a sector',
      withClient({ subject_type: 'pairwise', redirect_uris: ['https://a.example.com/cb', 'https://b.example.com/cb'] }),
      [
        `${at}.clients[0].sector_identifier_uri: must be set for a pairwise client whose redirect_uris are on several hosts (a.example.com, b.example.com); OIDC Core §8.1`,
      ],
    ],
  ])('refuses %s', (_name, raw, expected) => {
    expect(problemsOf(raw)).toEqual(expected);
  });

  it('lets a client_credentials-only client leave out redirect_uris, and refuses introspect_any_token for a public client', () => {
    const machine = configOf(withClient({ redirect_uris: undefined, grant_types: ['client_credentials'], scopes: ['gatehouse.bearer.authz'] }))
      .identityProviders.oidc!;
    expect(machine.clients[0]).toMatchObject({ redirectUris: [], grantTypes: ['client_credentials'] });
    expect(problemsOf(withClient({ redirect_uris: undefined }))).toEqual([`${at}.clients[0].redirect_uris: must list at least one redirect URI but is absent`]);
    expect(problemsOf(withClient({ client_secret: undefined, public: true, introspect_any_token: true }))).toEqual([
      `${at}.clients[0].introspect_any_token: must not be true for a public client: introspecting other clients’ tokens needs client authentication`,
    ]);
  });

  it('accepts jwks_uri over plain http only on loopback names', () => {
    expect(configOf(withClient({ jwks_uri: 'http://keys.localhost:8080/jwks' })).identityProviders.oidc!.clients[0]!.jwksUri).toBe(
      'http://keys.localhost:8080/jwks',
    );
  });
});
