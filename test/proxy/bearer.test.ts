import { connect } from 'node:net';
import * as client from 'openid-client';
import { describe, expect, it } from 'vitest';
import { bearerProvider, withTokens } from '../authz/bearer-world.js';
import { cookieHeader, loginFirstFactor } from '../authz/fixtures.js';
import { domain, portal, send, startProxyWorld } from './world.js';

/**
 * Bearer access tokens in proxy mode: the same decision as forward-auth (authz/evaluate.ts).
 * The clients' audiences are `http://<site>.example.localhost` (port 80), so requests name the
 * host without the listener's port.
 */
async function world() {
  const w = await startProxyWorld({ overrides: { identity_providers: bearerProvider(domain, 'http') } });
  return { ...withTokens(w, portal, {}), upstream: w.upstream, port: w.port };
}

const app = `app.${domain}`;
const as = (token: string, extra: Record<string, string> = {}) => ({ headers: { host: app, authorization: `Bearer ${token}`, ...extra } });

describe('Bearer access tokens in proxy mode', () => {
  it('proxies a client token’s request as the client: no identity headers, the client’s own Remote-* removed', async () => {
    const w = await world();
    const token = await w.machineToken('robot');
    const answer = await send(w, app, '/data', as(token, { 'remote-user': 'admin', 'remote-groups': 'admins' }));
    expect(answer.status).toBe(200);
    const seen = w.upstream.seen.at(-1)!;
    expect(seen.url).toBe('/data');
    expect(seen.headers['remote-user']).toBeUndefined();
    expect(seen.headers['remote-groups']).toBeUndefined();
    // the token was issued for this upstream (its audience): the upstream may read it too
    expect(seen.headers.authorization).toBe(`Bearer ${token}`);
  });

  it('proxies a user token’s request with the user’s identity headers', async () => {
    const w = await world();
    const token = await w.userToken('john');
    expect((await send(w, app, '/admin/x', as(token))).status).toBe(200);
    expect(w.upstream.seen.at(-1)!.headers).toMatchObject({ 'remote-user': 'john', 'remote-groups': 'admins,dev', 'remote-email': 'john@example.com' });
  });

  it('refuses a revoked token, one without the scope or the audience, and a cookie sent with a token: 401, nothing forwarded', async () => {
    const w = await world();
    const revoked = await w.machineToken('robot');
    await client.tokenRevocation(await w.clientConfig('robot'), revoked);
    const cookie = cookieHeader(w, await loginFirstFactor(w, 'john', domain));
    const cases: [string, ReturnType<typeof as>, string][] = [
      ['revoked', as(revoked), 'invalid_token'],
      ['no scope', as(await w.machineToken('no-scope-robot')), 'invalid_token'],
      ['wrong audience', as(await w.machineToken('alias-robot')), 'invalid_token'],
      ['other port than the audience', { headers: { ...as(await w.machineToken('robot')).headers, host: `${app}:${w.port}` } }, 'invalid_token'],
      ['cookie and token', as(await w.machineToken('robot'), { cookie }), 'invalid_request'],
    ];
    const before = w.upstream.seen.length;
    for (const [name, options, error] of cases) {
      const answer = await send(w, app, '/data', options);
      expect(answer.status, name).toBe(401);
      expect(answer.headers['www-authenticate'], name).toMatch(new RegExp(`^Bearer error="${error}"`));
    }
    expect(w.upstream.seen.length).toBe(before);
    // the cookie alone still works
    expect((await send(w, app, '/data', { headers: { host: app, cookie } })).status).toBe(200);
  });

  it('refuses a WebSocket handshake with a bad token with 401 and the Bearer challenge', async () => {
    const w = await world();
    const reply = await new Promise<string>((resolve, reject) => {
      const socket = connect(w.port, '127.0.0.1', () => {
        socket.write(
          `GET /ws HTTP/1.1\r\nHost: ${app}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nAuthorization: Bearer nope\r\n\r\n`,
        );
      });
      let text = '';
      socket.setEncoding('utf8').on('data', (c: string) => (text += c));
      socket.on('close', () => resolve(text));
      socket.on('error', reject);
    });
    expect(reply).toMatch(/^HTTP\/1\.1 401 /);
    expect(reply).toMatch(/\r\nwww-authenticate: Bearer error="invalid_token"/i);
  });
});
