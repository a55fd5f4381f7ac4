import { decodeJwt } from 'jose';
import { describe, expect, it } from 'vitest';
import { Browser, callback, issuer, portalOrigin, secret, startProvider } from '../helpers/oidc.js';

const authUrl = (params: Record<string, string>) =>
  `${issuer}/api/oidc/authorization?${new URLSearchParams({ client_id: 'confidential', redirect_uri: callback, response_type: 'code', scope: 'openid profile', ...params })}`;
const location = (r: Response) => new URL(r.headers.get('location')!, portalOrigin);
const basic = (id: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;

async function exchange(w: Awaited<ReturnType<typeof startProvider>>, code: string, clientId = 'confidential') {
  const r = await w.fetch(`${issuer}/api/oidc/token`, {
    method: 'POST',
    body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: callback }).toString(),
    headers: { authorization: basic(clientId), 'content-type': 'application/x-www-form-urlencoded' },
  });
  return decodeJwt(((await r.json()) as { id_token: string }).id_token);
}

describe('authorization endpoint: the user steps', () => {
  it('answers prompt=none without a session with login_required, and sends others to the login page to resume', async () => {
    const w = await startProvider();
    const browser = new Browser(w.fetch);
    expect(location(await browser.get(authUrl({ prompt: 'none', state: 'state-01' }))).searchParams.get('error')).toBe('login_required');
    const toLogin = location(await browser.get(authUrl({ state: 'state-02' })));
    expect(toLogin.origin + toLogin.pathname).toBe(`${portalOrigin}/`);
    const resume = toLogin.searchParams.get('rd')!;
    expect(resume).toMatch(new RegExp(`^${issuer}/api/oidc/authorization\\?flow_id=[A-Za-z0-9_-]{43}$`));
    await browser.login();
    const done = location(await browser.get(resume));
    expect([done.searchParams.get('state'), done.searchParams.has('code')]).toEqual(['state-02', true]);
    // The pending request is gone once answered.
    expect((await browser.get(resume)).status).toBe(400);
  });

  it('prompt=login and a stale max_age force a new login with a later auth_time; a fresh one does not', async () => {
    const w = await startProvider();
    const browser = new Browser(w.fetch);
    await browser.login();
    const firstLogin = Math.floor(w.clock.now() / 1000);
    w.clock.advance(5_000);
    const silent = location(await browser.get(authUrl({ prompt: 'none', max_age: '10' })));
    expect((await exchange(w, silent.searchParams.get('code')!)).auth_time).toBe(firstLogin);
    for (const params of [{ prompt: 'login' }, { max_age: '2' }] as Record<string, string>[]) {
      w.clock.advance(5_000);
      const toLogin = location(await browser.get(authUrl(params)));
      expect(toLogin.pathname).toBe('/');
      expect(toLogin.searchParams.get('prompt')).toBe('login');
      // The session stays until the new login replaces it (a link must not sign anyone out),
      // and the login page shows its form instead of sending the signed-in user on.
      const stayed = browser.cookie;
      expect(stayed).toBeDefined();
      const form = await browser.get(toLogin);
      expect(form.status).toBe(200);
      expect(await form.text()).toContain('autocomplete="current-password"');
      await browser.login();
      expect(browser.cookie).not.toBe(stayed);
      const back = location(await browser.get(toLogin.searchParams.get('rd')!));
      const claims = await exchange(w, back.searchParams.get('code')!);
      expect(claims.auth_time).toBe(Math.floor(w.clock.now() / 1000));
      expect(claims.auth_time).toBeGreaterThan(firstLogin);
    }
    w.clock.advance(5_000);
    expect(location(await browser.get(authUrl({ prompt: 'none', max_age: '1' }))).searchParams.get('error')).toBe('login_required');
  });

  it('sends a one-factor user of a two_factor client to the second factor (login_required with prompt=none)', async () => {
    const w = await startProvider();
    const browser = new Browser(w.fetch);
    await browser.login();
    expect(location(await browser.get(authUrl({ client_id: 'twofa', prompt: 'none' }))).searchParams.get('error')).toBe('login_required');
    expect(location(await browser.get(authUrl({ client_id: 'twofa' }))).pathname).toBe('/2fa');
  });

  it('asks explicit consent (consent_required with prompt=none); a refusal is access_denied', async () => {
    const w = await startProvider();
    const browser = new Browser(w.fetch);
    await browser.login();
    expect(location(await browser.get(authUrl({ client_id: 'explicit', prompt: 'none' }))).searchParams.get('error')).toBe('consent_required');
    const consent = location(await browser.get(authUrl({ client_id: 'explicit', state: 'state-c1' })));
    expect(consent.pathname).toBe('/consent');
    const page = await browser.get(consent);
    const text = await page.text();
    expect(text).toContain('Explicit &lt;App&gt;');
    expect(text).toContain('<strong>profile</strong>');
    expect(page.headers.get('content-security-policy')).toContain("form-action 'self' http://app.gatehouse.localhost");
    const flowId = consent.searchParams.get('flow_id')!;
    const same = { origin: portalOrigin, 'sec-fetch-site': 'same-origin' };
    const crossSite = await browser.postForm(
      `${portalOrigin}/consent`,
      { flow_id: flowId, decision: 'accept' },
      { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' },
    );
    expect(crossSite.status).toBe(403);
    const denied = await browser.postForm(`${portalOrigin}/consent`, { flow_id: flowId, decision: 'deny' }, same);
    const answer = location(await browser.get(location(denied)));
    expect([answer.searchParams.get('error'), answer.searchParams.get('state')]).toEqual(['access_denied', 'state-c1']);
    const again = location(await browser.get(authUrl({ client_id: 'explicit' })));
    const accepted = await browser.postForm(`${portalOrigin}/consent`, { flow_id: again.searchParams.get('flow_id')!, decision: 'accept' }, same);
    expect(location(await browser.get(location(accepted))).searchParams.has('code')).toBe(true);
    // Explicit means every time.
    expect(location(await browser.get(authUrl({ client_id: 'explicit' }))).pathname).toBe('/consent');
  });

  it('remembers pre-configured consent per user, client and scopes', async () => {
    const w = await startProvider();
    const browser = new Browser(w.fetch);
    await browser.login();
    const same = { origin: portalOrigin, 'sec-fetch-site': 'same-origin' };
    const consent = location(await browser.get(authUrl({ client_id: 'remember' })));
    expect(await (await browser.get(consent)).text()).toContain('Remember this decision');
    await browser.postForm(`${portalOrigin}/consent`, { flow_id: consent.searchParams.get('flow_id')!, decision: 'accept', remember: 'true' }, same);
    expect(location(await browser.get(authUrl({ client_id: 'remember', prompt: 'none' }))).searchParams.has('code')).toBe(true);
    expect(location(await browser.get(authUrl({ client_id: 'remember', scope: 'openid', prompt: 'none' }))).searchParams.get('error')).toBe('consent_required');
    expect(location(await browser.get(authUrl({ client_id: 'remember', prompt: 'consent' }))).pathname).toBe('/consent');
    const bob = new Browser(w.fetch);
    await bob.login('bob', 'bobpassword');
    expect(location(await bob.get(authUrl({ client_id: 'remember', prompt: 'none' }))).searchParams.get('error')).toBe('consent_required');
  });

  it('accepts its own id_token_hint silently and forces a login for another user', async () => {
    const w = await startProvider();
    const john = new Browser(w.fetch);
    await john.login();
    const code = location(await john.get(authUrl({}))).searchParams.get('code')!;
    const r = await w.fetch(`${issuer}/api/oidc/token`, {
      method: 'POST',
      body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: callback }).toString(),
      headers: { authorization: basic('confidential'), 'content-type': 'application/x-www-form-urlencoded' },
    });
    const idToken = ((await r.json()) as { id_token: string }).id_token;
    expect(location(await john.get(authUrl({ prompt: 'none', id_token_hint: idToken }))).searchParams.has('code')).toBe(true);
    const bob = new Browser(w.fetch);
    await bob.login('bob', 'bobpassword');
    expect(location(await bob.get(authUrl({ prompt: 'none', id_token_hint: idToken }))).searchParams.get('error')).toBe('login_required');
  });
});
