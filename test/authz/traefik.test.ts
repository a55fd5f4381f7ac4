import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { cookieHeader, loginFirstFactor, startAuthzGateway } from './fixtures.js';

/**
 * Traefik has no Debian package, so this reproduces, byte for byte, the request its ForwardAuth
 * middleware (pkg/middlewares/auth/forward.go) sends: a GET to the configured address carrying
 * the client's headers (hop-by-hop removed) plus X-Forwarded-Method/Proto/Host/Uri/For, with Go's
 * canonical header spelling, and what its forwarded-headers middleware added (Port, Server, Real-Ip).
 */
function traefikAsks(port: number, path: string, extra: string[] = []): Promise<string> {
  const lines = [
    `GET ${path} HTTP/1.1`,
    `Host: 127.0.0.1:${port}`,
    'User-Agent: Mozilla/5.0 (X11; Linux x86_64)',
    'Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8',
    'Accept-Encoding: gzip',
    ...extra,
    'X-Forwarded-For: 192.0.2.44',
    'X-Forwarded-Host: app.example.com',
    'X-Forwarded-Method: GET',
    'X-Forwarded-Port: 443',
    'X-Forwarded-Proto: https',
    'X-Forwarded-Server: traefik-7d9f',
    'X-Forwarded-Uri: /dashboard?tab=1',
    'X-Real-Ip: 192.0.2.44',
    'Connection: close',
  ];
  return new Promise((resolve, reject) => {
    let text = '';
    const socket = connect(port, '127.0.0.1', () => socket.write(`${lines.join('\r\n')}\r\n\r\n`));
    socket.setEncoding('utf8').on('data', (c: string) => (text += c));
    socket.on('end', () => resolve(text)).on('error', reject);
  });
}

describe("Traefik ForwardAuth's exact request", () => {
  it('redirects an anonymous user with rd built from X-Forwarded-Proto/Host/Uri', async () => {
    const w = await startAuthzGateway();
    const port = Number(new URL(w.gateway.url).port);
    const reply = await traefikAsks(port, '/api/authz/forward-auth');
    expect(reply).toMatch(/^HTTP\/1\.1 302 /);
    expect(reply).toContain(`location: https://auth.example.com/?rd=${encodeURIComponent('https://app.example.com/dashboard?tab=1')}&rm=GET\r\n`);
    const custom = await traefikAsks(port, `/api/authz/forward-auth?authelia_url=${encodeURIComponent('https://login.example.com')}`);
    expect(custom).toContain('location: https://login.example.com/?rd=');
  });

  it('answers 200 with the headers listed in authResponseHeaders for a session cookie', async () => {
    const w = await startAuthzGateway();
    const port = Number(new URL(w.gateway.url).port);
    const cookie = cookieHeader(w, await loginFirstFactor(w, 'john'));
    const reply = await traefikAsks(port, '/api/authz/forward-auth', [`Cookie: ${cookie}; other=1`]);
    expect(reply).toMatch(/^HTTP\/1\.1 200 /);
    for (const line of ['remote-user: john', 'remote-groups: admins,dev', 'remote-name: John Doe', 'remote-email: john@example.com'])
      expect(reply).toContain(`${line}\r\n`);
  });
});
