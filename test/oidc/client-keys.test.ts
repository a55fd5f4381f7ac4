import { jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import type { OidcClientConfig } from '../../src/config/oidc.js';
import { ClientKeys, ClientKeysError, fetchableUrl } from '../../src/oidc/client-keys.js';
import { ManualClock } from '../../src/shared/clock.js';
import { configOf, minimalRaw, tempDir } from '../helpers/config.js';
import { clientKeyPair, signWith, startJwksServer } from '../helpers/jwks-server.js';

/** A client whose keys are at `jwksUri`, read through the real configuration reader. */
function clientAt(jwksUri: string): OidcClientConfig {
  const config = configOf(
    minimalRaw(tempDir(), {
      identity_providers: {
        oidc: {
          hmac_secret: 'a-very-long-hmac-secret-for-tests',
          clients: [{ client_id: 'rp', token_endpoint_auth_method: 'private_key_jwt', jwks_uri: jwksUri, redirect_uris: ['https://rp.example.com/cb'] }],
        },
      },
    }),
  );
  return config.identityProviders.oidc!.clients[0]!;
}

const verify = (keys: ClientKeys, client: OidcClientConfig, jwt: string) => jwtVerify(jwt, keys.resolverFor(client), { algorithms: ['RS256'] });

describe('client keys from jwks_uri', () => {
  it('fetches once, serves from the cache, and refetches when the cache expires', async () => {
    const a = await clientKeyPair('a');
    const server = await startJwksServer({ kind: 'keys', keys: [a.jwk] });
    const clock = new ManualClock();
    const keys = new ClientKeys({ clock });
    const client = clientAt(server.url);
    const jwt = await signWith(a.privateKey, 'a', { sub: 'rp' });
    await verify(keys, client, jwt);
    await verify(keys, client, jwt);
    expect(server.hits()).toBe(1);
    clock.advance(5 * 60_000 - 1);
    await verify(keys, client, jwt);
    expect(server.hits()).toBe(1);
    clock.advance(1);
    await verify(keys, client, jwt);
    expect(server.hits()).toBe(2);
  });

  it('keeps a set for its Cache-Control max-age, bounded to 1 minute … 1 hour', async () => {
    const a = await clientKeyPair('a');
    const clock = new ManualClock();
    const jwt = await signWith(a.privateKey, 'a', {});
    for (const [cacheControl, ttl] of [
      ['public, max-age=600', 600_000],
      ['max-age=5', 60_000],
      ['no-store', 60_000],
      ['max-age=86400', 3_600_000],
    ] as const) {
      const server = await startJwksServer({ kind: 'keys', keys: [a.jwk], cacheControl });
      const keys = new ClientKeys({ clock });
      const client = clientAt(server.url);
      await verify(keys, client, jwt);
      clock.advance(ttl - 1);
      await verify(keys, client, jwt);
      expect(server.hits(), cacheControl).toBe(1);
      clock.advance(1);
      await verify(keys, client, jwt);
      expect(server.hits(), cacheControl).toBe(2);
    }
  });

  it('refetches for an unknown kid, at most once per 30 seconds, and keeps the known keys meanwhile', async () => {
    const a = await clientKeyPair('a');
    const b = await clientKeyPair('b');
    const c = await clientKeyPair('c');
    const server = await startJwksServer({ kind: 'keys', keys: [a.jwk] });
    const clock = new ManualClock();
    const keys = new ClientKeys({ clock });
    const client = clientAt(server.url);
    await verify(keys, client, await signWith(a.privateKey, 'a', {}));
    clock.advance(30_000);
    // The client rotated to b: its first assertion with b makes Gatehouse look again.
    server.serve({ kind: 'keys', keys: [a.jwk, b.jwk] });
    await verify(keys, client, await signWith(b.privateKey, 'b', {}));
    expect(server.hits()).toBe(2);
    // Made-up kids within the cooldown: no fetch, refused; known keys still work.
    server.serve({ kind: 'keys', keys: [a.jwk, b.jwk, c.jwk] });
    for (const kid of ['x', 'y', 'c']) {
      await expect(verify(keys, client, await signWith(c.privateKey, kid, {}))).rejects.toThrow(/no applicable key/i);
    }
    await verify(keys, client, await signWith(a.privateKey, 'a', {}));
    expect(server.hits()).toBe(2);
    clock.advance(30_000);
    await verify(keys, client, await signWith(c.privateKey, 'c', {}));
    expect(server.hits()).toBe(3);
  });

  it('shares one fetch between concurrent requests', async () => {
    const a = await clientKeyPair('a');
    const server = await startJwksServer({ kind: 'keys', keys: [a.jwk] });
    const keys = new ClientKeys({ clock: new ManualClock() });
    const client = clientAt(server.url);
    const jwt = await signWith(a.privateKey, 'a', {});
    await Promise.all(Array.from({ length: 10 }, () => verify(keys, client, jwt)));
    expect(server.hits()).toBe(1);
  });

  it('gives up after the timeout, on an answer over the size limit, on invalid JSON and on a set without keys', async () => {
    const a = await clientKeyPair('a');
    const jwt = await signWith(a.privateKey, 'a', {});
    const cases = [
      [{ kind: 'hang' }, /did not answer within 200 ms/],
      [{ kind: 'huge', bytes: 2 * 1024 * 1024, declareLength: false }, /more than the 524288 bytes allowed/],
      [{ kind: 'huge', bytes: 2 * 1024 * 1024, declareLength: true }, /answered 2097152 bytes, more than the 524288 allowed/],
      [{ kind: 'text', body: '{"keys": [' }, /did not answer JSON/],
      [{ kind: 'text', body: '[]' }, /did not answer a JWK Set/],
      [{ kind: 'text', body: '{"keys":[{"kty":"oct","k":"c2VjcmV0"}]}' }, /without a signing key/],
    ] as const;
    for (const [behaviour, message] of cases) {
      const server = await startJwksServer(behaviour);
      const clock = new ManualClock();
      const keys = new ClientKeys({ clock, timeoutMs: 200 });
      const client = clientAt(server.url);
      const started = Date.now();
      const error = await verify(keys, client, jwt).catch((e: unknown) => e);
      expect(error, JSON.stringify(behaviour)).toBeInstanceOf(ClientKeysError);
      expect((error as Error).message).toMatch(message);
      expect(Date.now() - started).toBeLessThan(3_000);
      // The failure is remembered for the cooldown: no second fetch.
      await expect(verify(keys, client, jwt)).rejects.toThrow(message);
      expect(server.hits()).toBe(1);
    }
  });

  it('fetches only https, or http on loopback names', () => {
    expect(fetchableUrl('https://rp.example.com/jwks')).toBe(true);
    expect(fetchableUrl('http://127.0.0.1:8080/jwks')).toBe(true);
    expect(fetchableUrl('http://localhost/jwks')).toBe(true);
    expect(fetchableUrl('http://rp.localhost/jwks')).toBe(true);
    expect(fetchableUrl('http://[::1]/jwks')).toBe(true);
    expect(fetchableUrl('http://rp.example.com/jwks')).toBe(false);
    expect(fetchableUrl('http://localhost.example.com/jwks')).toBe(false);
    expect(fetchableUrl('http://10.0.0.1/jwks')).toBe(false);
    expect(fetchableUrl('https://user:pass@rp.example.com/jwks')).toBe(false);
    expect(fetchableUrl('file:///etc/passwd')).toBe(false);
  });
});
