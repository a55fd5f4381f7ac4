import { describe, expect, it } from 'vitest';
import { portalSecurityHeaders } from '../../src/portal/security-headers.js';
import { configOf, minimalRaw } from '../helpers/config.js';
import { PortalClient, lastCode, startPortal, totpCode } from '../helpers/portal.js';

describe('portal pages (no JavaScript needed)', () => {
  it('serve the login page with strict security headers', async () => {
    const { gateway } = await startPortal();
    const page = await new PortalClient(gateway).get('/?rd=http%3A%2F%2Fapp.gatehouse.localhost%2F&rm=GET');
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.body).toContain('<title>Sign in · Test Gate</title>');
    expect(page.body).toContain('<label for="username">Username</label>');
    expect(page.body).toContain('autocomplete="current-password"');
    expect(page.body).toContain('<input type="hidden" name="rd" value="http://app.gatehouse.localhost/">');
    expect(page.body).toContain('name="keepMeLoggedIn"');
    expect(page.headers['x-frame-options']).toBe('DENY');
    expect(page.headers['cache-control']).toBe('no-store');
    expect(page.headers['referrer-policy']).toBe('no-referrer');
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    const csp = String(page.headers['content-security-policy']);
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain(
      "form-action 'self' https://gatehouse.localhost:* https://*.gatehouse.localhost:* http://gatehouse.localhost:* http://*.gatehouse.localhost:*",
    );
    expect(page.body).not.toMatch(/<script>|style="|onclick=/);
  });

  it('escape everything reflected from the request', async () => {
    const { gateway } = await startPortal();
    const client = new PortalClient(gateway);
    const page = await client.get('/?rd=%22%3E%3Cscript%3Ealert(1)%3C%2Fscript%3E');
    expect(page.body).not.toContain('<script>alert(1)');
    expect(page.body).toContain('&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;');
    const failed = await client.postForm('/login', { username: '<img src=x onerror=alert(1)>', password: 'x' });
    expect(failed.status).toBe(401);
    expect(failed.body).toContain('value="&lt;img src=x onerror=alert(1)&gt;"');
    expect(failed.body).toContain('Authentication failed. Check your credentials.');
    expect(failed.body).toContain('role="alert"');
  });

  it('sign in by form: 303 to a safe target, or to the second factor when the target needs it', async () => {
    const { gateway } = await startPortal();
    const client = new PortalClient(gateway);
    const toApp = await client.postForm('/login', { username: 'john', password: 'password', rd: 'http://app.gatehouse.localhost/a?b=c' });
    expect([toApp.status, toApp.headers.location]).toEqual([303, 'http://app.gatehouse.localhost/a?b=c']);
    const toSecure = await client.postForm('/login', { username: 'john', password: 'password', rd: 'http://secure.gatehouse.localhost/', rm: 'POST' });
    expect(toSecure.headers.location).toBe('/2fa?rd=http%3A%2F%2Fsecure.gatehouse.localhost%2F&rm=POST');
    const toEvil = await client.postForm('/login', { username: 'john', password: 'password', rd: 'https://evil.com/' });
    expect(toEvil.headers.location).toBe('/2fa');
  });

  it('send a signed-in visitor of the login page on, and anonymous visitors of inner pages to the login page', async () => {
    const { gateway } = await startPortal();
    const client = new PortalClient(gateway);
    expect((await client.get('/2fa?rd=http%3A%2F%2Fsecure.gatehouse.localhost%2F')).headers.location).toBe('/?rd=http%3A%2F%2Fsecure.gatehouse.localhost%2F');
    expect((await client.get('/authenticated')).headers.location).toBe('/');
    await client.login();
    expect((await client.get('/?rd=http%3A%2F%2Fapp.gatehouse.localhost%2F')).headers.location).toBe('http://app.gatehouse.localhost/');
    expect((await client.get('/')).headers.location).toBe('/authenticated');
    const signedIn = await client.get('/authenticated');
    expect(signedIn.body).toContain('<strong>John &lt;Doe&gt;</strong> (john), with a password.');
  });

  it('walk through TOTP enrolment and the second factor', async () => {
    const world = await startPortal();
    const client = new PortalClient(world.gateway);
    await client.postForm('/login', { username: 'john', password: 'password' });
    const second = await client.get('/2fa');
    expect(second.body).toContain('Set up an authenticator app');
    const sent = await client.postForm('/2fa/enroll/start', {});
    expect(sent.body).toContain('We sent a one-time code to <strong>j•••@gatehouse.localhost</strong>');
    const verified = await client.postForm('/2fa/enroll/verify', { code: lastCode(world.notifications) });
    expect(verified.headers.location).toBe('/2fa/enroll');
    const secretPage = await client.get('/2fa/enroll');
    expect(secretPage.body).toContain('src="data:image/svg+xml;base64,');
    const secret = /<code class="secret" id="secret">([A-Z2-7]+)<\/code>/.exec(secretPage.body)?.[1];
    expect(secret).toBeDefined();
    const wrong = await client.postForm('/2fa/enroll/confirm', { token: '000000' });
    expect(wrong.status).toBe(401);
    const confirmed = await client.postForm('/2fa/enroll/confirm', { token: totpCode(secret!, world.clock) });
    expect(confirmed.headers.location).toBe('/2fa');
    expect((await client.get('/2fa')).headers.location).toBe('/authenticated');

    world.clock.advance(30_000);
    const again = new PortalClient(world.gateway);
    await again.postForm('/login', { username: 'john', password: 'password', rd: 'http://secure.gatehouse.localhost/' });
    const codePage = await again.get('/2fa?rd=http%3A%2F%2Fsecure.gatehouse.localhost%2F');
    expect(codePage.body).toContain('autocomplete="one-time-code"');
    const bad = await again.postForm('/2fa', { token: '000000', rd: 'http://secure.gatehouse.localhost/' });
    expect(bad.status).toBe(401);
    const good = await again.postForm('/2fa', { token: totpCode(secret!, world.clock), rd: 'http://secure.gatehouse.localhost/' });
    expect([good.status, good.headers.location]).toEqual([303, 'http://secure.gatehouse.localhost/']);
  });

  it('ask before signing out, then sign out by form', async () => {
    const { gateway } = await startPortal();
    const client = new PortalClient(gateway);
    await client.login();
    expect((await client.get('/logout')).body).toContain('<button type="submit">Sign out</button>');
    const out = await client.postForm('/logout', { rd: 'http://app.gatehouse.localhost/' });
    expect([out.status, out.headers.location]).toEqual([303, 'http://app.gatehouse.localhost/']);
    expect((await client.get('/logout')).body).toContain('You are signed out.');
    expect((await client.get('/api/state')).json().data.username).toBe('');
  });

  it('serve the stylesheet and script, and nothing else from /static', async () => {
    const { gateway } = await startPortal();
    const client = new PortalClient(gateway);
    const css = await client.get('/static/portal.css');
    expect([css.status, css.headers['content-type']]).toEqual([200, 'text/css; charset=utf-8']);
    expect((await client.get('/static/portal.js')).headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect((await client.get('/static/..%2fportal.ts')).status).toBe(404);
    expect((await client.get('/static/constructor')).status).toBe(404);
  });

  it('show the login form to a signed-in user when asked to (prompt=login), keeping the session until the new login', async () => {
    const { gateway } = await startPortal();
    const client = new PortalClient(gateway);
    await client.login();
    const before = client.cookie;
    const page = await client.get('/?prompt=login&rd=http%3A%2F%2Fapp.gatehouse.localhost%2F');
    expect(page.status).toBe(200);
    expect(page.body).toContain('autocomplete="current-password"');
    expect((await client.get('/api/state')).json().data.username).toBe('john');
    await client.postForm('/login', { username: 'john', password: 'password' });
    expect(client.cookie).not.toBe(before);
  });

  it('let post-login redirects reach OpenID Connect clients (form-action lists their origins)', async () => {
    const cookies = configOf(minimalRaw('/tmp/x')).session.cookies;
    const csp = portalSecurityHeaders(cookies, ['https://grafana.example.net'])['content-security-policy'];
    expect(csp).toContain("form-action 'self' https://example.com:* https://*.example.com:* https://grafana.example.net;");
  });

  it('follow the configured theme', async () => {
    const { gateway } = await startPortal({ theme: 'dark' });
    expect((await new PortalClient(gateway).get('/')).body).toContain('<html lang="en" data-theme="dark"');
  });
});
