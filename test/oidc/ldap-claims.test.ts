/** OpenID Connect claims of a user from authentication_backend.ldap (a real slapd). */
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Slapd, slapdService, slapdSkipReason, startSlapd } from '../helpers/slapd.js';
import { Browser, callback, client, discover, secret, startProvider, testClients } from '../helpers/oidc.js';

const skip = slapdSkipReason();

describe.skipIf(skip !== undefined)('OpenID Connect with users from LDAP', () => {
  let slapd: Slapd;
  beforeAll(async () => {
    slapd = await startSlapd();
  }, 30_000);
  afterAll(async () => {
    await slapd?.close();
  });

  it('the ID token and userinfo carry the directory groups, e-mail and name', async () => {
    const policy = {
      client_id: 'ldap-app',
      authorization_policy: 'one_factor',
      consent_mode: 'implicit',
      redirect_uris: [callback],
      client_secret: secret,
      claims_policy: 'in-id-token',
    };
    const w = await startProvider(
      { clients: [...testClients(), policy], claims_policies: { 'in-id-token': { id_token: ['email', 'groups', 'name'] } } },
      {
        config: {
          authentication_backend: {
            password_reset: { disable: true },
            password_change: { disable: true },
            ldap: { implementation: 'rfc2307bis', address: slapd.url, base_dn: 'dc=example,dc=com', ...slapdService },
          },
        },
      },
    );
    const browser = new Browser(w.fetch);
    expect((await browser.login('bob', 'password')).status).toBe(200);
    w.clock.advance(1000);
    const config = await discover(w.fetch, 'ldap-app', { client_secret: secret }, client.ClientSecretBasic(secret));
    const verifier = client.randomPKCECodeVerifier();
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: callback,
      scope: 'openid profile email groups',
      state: 'state-12',
      nonce: 'nonce-12',
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    });
    const answer = await browser.get(url);
    const location = new URL(answer.headers.get('location')!, callback);
    const tokens = await client.authorizationCodeGrant(config, location, { pkceCodeVerifier: verifier, expectedState: 'state-12', expectedNonce: 'nonce-12' });
    const claims = decodeJwt(tokens.id_token!);
    expect(claims).toMatchObject({ groups: ['dev', 'ops'], email: 'bob@example.com', name: 'Bob Dylan' });
    const info = await client.fetchUserInfo(config, tokens.access_token, claims.sub!);
    expect(info).toMatchObject({ groups: ['dev', 'ops'], email: 'bob@example.com' });
  });
});
