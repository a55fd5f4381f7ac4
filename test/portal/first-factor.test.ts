import { describe, expect, it } from 'vitest';
import { PortalClient, portalOrigin, startPortal } from '../helpers/portal.js';
import { injectListener } from '../helpers/gateway.js';

const failed = { status: 'KO', message: 'Authentication failed. Check your credentials.' };

describe('POST /api/firstfactor', () => {
  it('signs in with the right password at level 1 and regenerates the session ID', async () => {
    const { gateway } = await startPortal();
    const client = new PortalClient(gateway);
    const first = await client.login();
    expect(first.status).toBe(200);
    const firstCookie = client.cookie;
    expect(firstCookie).toMatch(/^gatehouse_session=[A-Za-z0-9_-]{43}$/);
    const state = await client.get('/api/state');
    expect(state.json()).toEqual({
      status: 'OK',
      data: { username: 'john', authentication_level: 1, default_redirection_url: 'http://home.gatehouse.localhost/' },
    });
    await client.login();
    expect(client.cookie).not.toBe(firstCookie);
    const stale = new PortalClient(gateway);
    stale.cookie = firstCookie;
    expect((await stale.get('/api/state')).json().data.authentication_level).toBe(0);
  });

  it('answers every failure with the same generic 401', async () => {
    const { gateway } = await startPortal();
    const client = new PortalClient(gateway);
    const wrong = await client.login('john', 'wrong');
    const unknown = await client.login('nobody', 'password');
    expect([wrong.status, wrong.json()]).toEqual([401, failed]);
    expect([unknown.status, unknown.json()]).toEqual([401, failed]);
    expect(wrong.body).toBe(unknown.body);
    expect(client.cookie).toBeUndefined();
  });

  it('refuses malformed bodies with 400', async () => {
    const { gateway } = await startPortal();
    const client = new PortalClient(gateway);
    expect((await client.postJson('/api/firstfactor', { username: 'john' })).status).toBe(400);
    expect((await client.postJson('/api/firstfactor', { username: '', password: 'x' })).status).toBe(400);
    expect((await client.postJson('/api/firstfactor', { username: 'john', password: 3 })).status).toBe(400);
    expect((await client.postJson('/api/firstfactor', 'not json')).status).toBe(400);
  });

  it('redirects to a safe one-factor target, and never to an unsafe one', async () => {
    const { gateway } = await startPortal();
    const client = new PortalClient(gateway);
    const safe = await client.login('john', 'password', { targetURL: 'http://app.gatehouse.localhost/dashboard?x=1' });
    expect(safe.json()).toEqual({ status: 'OK', data: { redirect: 'http://app.gatehouse.localhost/dashboard?x=1' } });
    for (const evil of ['https://evil.com', '//evil.com', 'http://app.gatehouse.localhost.evil.com/', 'javascript:alert(1)']) {
      const reply = await client.login('john', 'password', { targetURL: evil });
      expect(reply.body).not.toContain('evil');
      expect(reply.json()).toEqual({ status: 'OK' });
    }
  });

  it('sends a two-factor target to the second factor (plain OK, like Authelia)', async () => {
    const { gateway } = await startPortal();
    const reply = await new PortalClient(gateway).login('john', 'password', { targetURL: 'http://secure.gatehouse.localhost/' });
    expect(reply.json()).toEqual({ status: 'OK' });
  });

  it('persists the cookie only when remember-me is asked for', async () => {
    const { gateway } = await startPortal();
    const plain = await new PortalClient(gateway).login();
    expect(String(plain.headers['set-cookie'])).not.toContain('Max-Age');
    const remembered = await new PortalClient(gateway).login('john', 'password', { keepMeLoggedIn: true });
    expect(String(remembered.headers['set-cookie'])).toContain(`Max-Age=${30 * 86_400}`);
    expect(String(remembered.headers['set-cookie'])).toContain('Domain=gatehouse.localhost; Path=/; HttpOnly; SameSite=Lax');
  });

  it('ends an idle session after inactivity', async () => {
    const { gateway, clock } = await startPortal();
    const client = new PortalClient(gateway);
    await client.login();
    clock.advance(4 * 60_000);
    expect((await client.get('/api/state')).json().data.authentication_level).toBe(1);
    clock.advance(5 * 60_000 + 1);
    expect((await client.get('/api/state')).json().data.authentication_level).toBe(0);
  });

  it('records every attempt in authentication_logs', async () => {
    const { gateway } = await startPortal();
    const client = new PortalClient(gateway);
    await client.login('john', 'wrong');
    await client.login();
    const db = (gateway.storage as unknown as { db: import('better-sqlite3').Database }).db;
    const rows = db.prepare('SELECT username, successful, auth_type, remote_ip FROM authentication_logs ORDER BY id').all();
    expect(rows).toEqual([
      { username: 'john', successful: 0, auth_type: '1FA', remote_ip: '127.0.0.1' },
      { username: 'john', successful: 1, auth_type: '1FA', remote_ip: '127.0.0.1' },
    ]);
  });
});

describe('regulation', () => {
  it('bans after max_retries failures: the right password then gets the same 401, and nothing tells the user', async () => {
    const { gateway, clock } = await startPortal();
    const client = new PortalClient(gateway);
    for (let i = 0; i < 3; i++) expect((await client.login('john', `wrong-${i}`)).status).toBe(401);
    const banned = await client.login('john', 'password');
    expect([banned.status, banned.json()]).toEqual([401, failed]);
    const unknown = await client.login('ghost', 'password');
    expect(banned.body).toBe(unknown.body);
    expect(client.cookie).toBeUndefined();
    clock.advance(5 * 60_000 + 1);
    expect((await client.login('john', 'password')).status).toBe(200);
  });

  it('counts an account once however its name is spelled (ban by canonical username)', async () => {
    const { gateway } = await startPortal({}, { search: { case_insensitive: true, email: true } });
    const client = new PortalClient(gateway);
    for (const login of ['JOHN', 'john.doe@gatehouse.localhost', 'John']) await client.login(login, 'wrong');
    expect((await client.login('john', 'password')).status).toBe(401);
    expect((await client.login('bob', 'bobpassword')).status).toBe(200);
  });

  it('lets nobody sign in without an authentication_backend', async () => {
    const { gateway } = await startPortal({ authentication_backend: undefined });
    expect((await new PortalClient(gateway).login()).status).toBe(401);
  });
});

describe('logout', () => {
  it('destroys the session and clears the cookie; reports whether the target was safe', async () => {
    const { gateway } = await startPortal();
    const client = new PortalClient(gateway);
    await client.login();
    const cookie = client.cookie;
    const reply = await client.postJson('/api/logout', { targetURL: 'https://evil.com' });
    expect(reply.json()).toEqual({ status: 'OK', data: { safeTargetURL: false } });
    expect(String(reply.headers['set-cookie'])).toContain('Max-Age=0');
    const replay = new PortalClient(gateway);
    replay.cookie = cookie;
    expect((await replay.get('/api/state')).json().data.username).toBe('');
    await client.login();
    expect((await client.postJson('/api/logout', { targetURL: 'http://app.gatehouse.localhost/' })).json().data.safeTargetURL).toBe(true);
  });
});

describe('cross-site requests', () => {
  it.each([
    [{ origin: 'https://evil.com', 'sec-fetch-site': 'cross-site' }],
    [{ 'sec-fetch-site': 'same-site' }],
    [{ origin: 'http://app.gatehouse.localhost', 'sec-fetch-site': undefined }],
    [{ origin: 'null', 'sec-fetch-site': undefined }],
  ])('refuses a login posted with %j', async (headers) => {
    const { gateway } = await startPortal();
    const client = new PortalClient(gateway);
    const reply = await client.postJson('/api/firstfactor', { username: 'john', password: 'password' }, headers);
    expect([reply.status, reply.json()]).toEqual([403, { status: 'KO', message: 'Forbidden' }]);
    expect(client.cookie).toBeUndefined();
  });

  it('refuses a form post that carries neither Origin nor Sec-Fetch-Site', async () => {
    const { gateway } = await startPortal();
    const reply = await injectListener(gateway, {
      method: 'POST',
      url: '/login',
      headers: { host: 'auth.gatehouse.localhost', 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'username=john&password=password',
    });
    expect(reply.statusCode).toBe(403);
    expect(reply.headers['set-cookie']).toBeUndefined();
  });

  it('accepts a JSON script without browser headers (cannot be sent cross-site without CORS)', async () => {
    const { gateway } = await startPortal();
    const reply = await injectListener(gateway, {
      method: 'POST',
      url: '/api/firstfactor',
      headers: { host: 'auth.gatehouse.localhost', 'content-type': 'application/json' },
      payload: JSON.stringify({ username: 'john', password: 'password' }),
    });
    expect(reply.statusCode).toBe(200);
  });
});

describe('portal hosts', () => {
  it('refuses hosts outside every cookie domain', async () => {
    const { gateway } = await startPortal();
    const reply = await new PortalClient(gateway, 'auth.evil.com').get('/api/state');
    expect(reply.status).toBe(400);
    expect(reply.json().message).toBe('This host (auth.evil.com) is not under any configured session cookie domain.');
  });

  it('is the same origin the client saw', () => {
    expect(portalOrigin).toBe('http://auth.gatehouse.localhost');
  });
});

describe('client addresses', () => {
  it('records IPv4 clients of a dual-stack listener as plain IPv4', async () => {
    const { gateway } = await startPortal({ server: { address: 'tcp://:0' } });
    const { request } = await import('node:http');
    const port = new URL(gateway.url.replace('[::]', '[::1]')).port;
    await new Promise<void>((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port,
          method: 'POST',
          path: '/api/firstfactor',
          headers: { host: 'auth.gatehouse.localhost', 'content-type': 'application/json' },
        },
        (res) => res.resume().on('end', resolve),
      );
      req.on('error', reject).end(JSON.stringify({ username: 'john', password: 'wrong' }));
    });
    const db = (gateway.storage as unknown as { db: import('better-sqlite3').Database }).db;
    expect(db.prepare('SELECT remote_ip FROM authentication_logs').all()).toEqual([{ remote_ip: '127.0.0.1' }]);
  });
});
