import { describe, expect, it } from 'vitest';
import { Browser, callback, issuer, startProvider, testClients } from '../helpers/oidc.js';
import { type JwksBehaviour, clientKeyPair, signWith, startJwksServer } from '../helpers/jwks-server.js';

const tokenUrl = `${issuer}/api/oidc/token`;
const assertionType = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/** A provider whose client `uri-jwt` authenticates with keys served at a test server's `jwks_uri`. */
async function world(served: JwksBehaviour) {
  const jwks = await startJwksServer(served);
  const base = { authorization_policy: 'one_factor', consent_mode: 'implicit', redirect_uris: [callback] };
  const w = await startProvider({
    clients: [...testClients(), { ...base, client_id: 'uri-jwt', token_endpoint_auth_method: 'private_key_jwt', jwks_uri: jwks.url }],
  });
  const browser = new Browser(w.fetch);
  await browser.login();
  w.clock.advance(1000);
  let jti = 0;
  /** Exchanges a fresh code with an assertion signed by `privateKey` under `kid`. */
  const exchange = async (privateKey: import('node:crypto').KeyObject, kid: string | undefined) => {
    const authorization = await browser.get(
      `${issuer}/api/oidc/authorization?${new URLSearchParams({ client_id: 'uri-jwt', redirect_uri: callback, response_type: 'code', scope: 'openid' })}`,
    );
    const code = new URL(authorization.headers.get('location')!).searchParams.get('code')!;
    const now = Math.floor(w.clock.now() / 1000);
    const assertion = await signWith(privateKey, kid, { iss: 'uri-jwt', sub: 'uri-jwt', aud: tokenUrl, jti: `jti-${++jti}`, iat: now, exp: now + 60 });
    return w.fetch(tokenUrl, {
      method: 'POST',
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        redirect_uri: callback,
        code,
        client_assertion_type: assertionType,
        client_assertion: assertion,
      }).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
  };
  return { ...w, jwks, exchange };
}

async function expectInvalidClient(response: Response): Promise<string> {
  expect(response.status).toBe(401);
  const body = (await response.json()) as { error: string; error_description: string };
  expect(body.error).toBe('invalid_client');
  // The cause (timeout, size, JSON, kid) stays in the log; the client is told only that its assertion failed.
  expect(body.error_description).toBe('Client authentication failed: the private_key_jwt assertion is invalid (signature, iss, sub, aud or exp).');
  return body.error_description;
}

describe('private_key_jwt with keys at the client jwks_uri', () => {
  it('accepts an assertion signed with a key of the served set, and refetches the set for a new kid', async () => {
    const a = await clientKeyPair('a');
    const b = await clientKeyPair('b');
    const w = await world({ kind: 'keys', keys: [a.jwk] });
    const ok = await w.exchange(a.privateKey, 'a');
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ token_type: 'Bearer' });
    expect(w.jwks.hits()).toBe(1);
    // The client adds key b and signs with it: Gatehouse fetches the set again (30 s after the first fetch).
    w.jwks.serve({ kind: 'keys', keys: [a.jwk, b.jwk] });
    w.clock.advance(30_000);
    expect((await w.exchange(b.privateKey, 'b')).status).toBe(200);
    expect(w.jwks.hits()).toBe(2);
  });

  it('refuses a kid that is not among the client keys (invalid_client), fetching at most once per 30 s', async () => {
    const a = await clientKeyPair('a');
    const stranger = await clientKeyPair('stranger');
    const w = await world({ kind: 'keys', keys: [a.jwk] });
    expect((await w.exchange(a.privateKey, 'a')).status).toBe(200);
    w.clock.advance(30_000);
    await expectInvalidClient(await w.exchange(stranger.privateKey, 'stranger'));
    await expectInvalidClient(await w.exchange(stranger.privateKey, 'stranger'));
    // The signer's own key under a kid of the set is no better: the signature does not verify.
    await expectInvalidClient(await w.exchange(stranger.privateKey, 'a'));
    expect(w.jwks.hits()).toBe(2);
  });

  it('answers invalid_client when the jwks_uri answers 2 MB', async () => {
    const a = await clientKeyPair('a');
    const w = await world({ kind: 'huge', bytes: 2 * 1024 * 1024, declareLength: false });
    await expectInvalidClient(await w.exchange(a.privateKey, 'a'));
    await expectRecovery(w, a);
  });

  it('answers invalid_client when the jwks_uri answers invalid JSON', async () => {
    const a = await clientKeyPair('a');
    const w = await world({ kind: 'text', body: '<html>not a key set</html>' });
    await expectInvalidClient(await w.exchange(a.privateKey, 'a'));
    await expectRecovery(w, a);
  });

  it('answers invalid_client when the jwks_uri does not answer within 5 seconds', async () => {
    const a = await clientKeyPair('a');
    const w = await world({ kind: 'hang' });
    const started = Date.now();
    await expectInvalidClient(await w.exchange(a.privateKey, 'a'));
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(4_900);
    expect(elapsed).toBeLessThan(10_000);
    // Within the cooldown the failure is answered at once, without asking the server again.
    const again = Date.now();
    await expectInvalidClient(await w.exchange(a.privateKey, 'a'));
    expect(Date.now() - again).toBeLessThan(2_000);
    await expectRecovery(w, a);
  });
});

/** The failure came from the served answer: once the server serves the key, 30 s later the same client gets in. */
async function expectRecovery(w: Awaited<ReturnType<typeof world>>, key: Awaited<ReturnType<typeof clientKeyPair>>): Promise<void> {
  expect(w.jwks.hits()).toBe(1);
  w.jwks.serve({ kind: 'keys', keys: [key.jwk] });
  w.clock.advance(30_000);
  expect((await w.exchange(key.privateKey, key.kid)).status).toBe(200);
  expect(w.jwks.hits()).toBe(2);
}
