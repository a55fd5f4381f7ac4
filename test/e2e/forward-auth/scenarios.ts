import { request } from 'node:http';
import { expect } from 'vitest';
import { password } from '../../authz/fixtures.js';
import type { Upstream } from '../../proxy/upstream.js';

export const domain = 'example.localhost';

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One request to the front (nginx, Caddy or Gatehouse's own proxy) as a browser would send it. */
export function front(
  port: number,
  host: string,
  path: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path, method: options.method ?? 'GET', headers: { host: `${host}:${port}`, accept: 'text/html', ...options.headers } },
      (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

/** Logs in through the front with the real `POST /api/firstfactor`; returns the Cookie header. */
export async function login(port: number, username: string, cookieName: string): Promise<string> {
  const reply = await front(port, `auth.${domain}`, '/api/firstfactor', {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  expect([reply.status, reply.body]).toEqual([200, expect.stringContaining('"OK"')]);
  const setCookie = [reply.headers['set-cookie'] ?? []].flat().find((c) => c.startsWith(`${cookieName}=`));
  if (!setCookie) throw new Error('no session cookie');
  return setCookie.split(';')[0]!;
}

/**
 * The scenarios, through a real front on `port`: anonymous → portal with the right rd;
 * 1FA on a 2FA site → portal; logged in → upstream sees Remote-User; deny → 403; a forged
 * Remote-User never reaches the upstream.
 */
export async function runScenarios(
  port: number,
  upstream: Upstream,
  cookieName: string,
  raiseToTwoFactor: (cookie: string) => Promise<void>,
  options: { placeholderWhenAbsent?: string } = {},
): Promise<void> {
  const portal = `http://auth.${domain}:${port}/`;
  const rd = (url: string, method = 'GET') => `${portal}?rd=${encodeURIComponent(url)}&rm=${method}`;

  const anonymous = await front(port, `app.${domain}`, '/path?q=1');
  expect([anonymous.status, anonymous.headers.location]).toEqual([302, rd(`http://app.${domain}:${port}/path?q=1`)]);

  const denied = await front(port, `deny.${domain}`, '/');
  expect(denied.status).toBe(403);
  expect(upstream.seen).toEqual([]);

  const forgedAnonymous = await front(port, `public.${domain}`, '/open', { headers: { 'Remote-User': 'admin', 'Remote-Groups': 'admins' } });
  expect(forgedAnonymous.status).toBe(200);
  // Caddy 2.6 (Debian 12) copies its unresolved placeholder when the auth answer has no such
  // header; the client's forged value is gone either way (examples/caddy deletes it first).
  const absent = (name: string) => (options.placeholderWhenAbsent ? `{${options.placeholderWhenAbsent}${name}}` : undefined);
  expect(upstream.seen.at(-1)?.headers['remote-user']).toBe(absent('Remote-User'));
  expect(upstream.seen.at(-1)?.headers['remote-groups']).toBe(absent('Remote-Groups'));

  const cookie = await login(port, 'john', cookieName);
  const allowed = await front(port, `app.${domain}`, '/hello', { headers: { cookie, 'Remote-User': 'admin' } });
  expect([allowed.status, allowed.body]).toEqual([200, '{"url":"/hello"}']);
  expect(upstream.seen.at(-1)?.headers).toMatchObject({
    'remote-user': 'john',
    'remote-groups': 'admins,dev',
    'remote-name': 'John Doe',
    'remote-email': 'john@example.com',
  });

  const oneFactor = await front(port, `secure.${domain}`, '/x', { headers: { cookie } });
  expect([oneFactor.status, oneFactor.headers.location]).toEqual([302, rd(`http://secure.${domain}:${port}/x`)]);
  await raiseToTwoFactor(cookie);
  const twoFactor = await front(port, `secure.${domain}`, '/x', { headers: { cookie } });
  expect([twoFactor.status, upstream.seen.at(-1)?.headers['remote-user']]).toEqual([200, 'john']);

  const deniedUser = await front(port, `deny.${domain}`, '/', { headers: { cookie } });
  expect(deniedUser.status).toBe(403);
}
