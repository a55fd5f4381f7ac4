import { describe, expect, it } from 'vitest';
import { Browser, client, portalOrigin } from '../helpers/oidc.js';
import { type World, configFor, refusal, signIn, startRefreshProvider, userinfoStatus } from '../oidc/refresh-helpers.js';

const same = { origin: portalOrigin, 'sec-fetch-site': 'same-origin' };

/** A JSON request of the portal's API with the browser's session. */
function api(w: World, browser: Browser, path: string, body?: unknown, headers: Record<string, string> = same) {
  return w.fetch(`${portalOrigin}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    body: body === undefined ? undefined : JSON.stringify(body),
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json', ...headers }), ...(browser.cookie ? { cookie: browser.cookie } : {}) },
  });
}

describe('the apps a user authorised (/consents) and revoking their access', () => {
  it('lists the apps by client; revoking one revokes every grant of it: refresh is invalid_grant, access tokens are dead, others keep working', async () => {
    const w = await startRefreshProvider();
    const nextcloud = await configFor(w, 'offline');
    const other = await configFor(w, 'offline-b');
    const first = await signIn(w, nextcloud);
    const { browser } = first;
    w.clock.advance(60_000);
    const second = await signIn(w, nextcloud, { browser, scope: 'openid groups offline_access' });
    w.clock.advance(60_000);
    const kept = await signIn(w, other, { browser, scope: 'openid' });
    // The signed-in page links to the list.
    expect(await (await browser.get(`${portalOrigin}/authenticated`)).text()).toContain('<a href="/consents">Apps you have signed in to</a>');
    const page = await browser.get(`${portalOrigin}/consents`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("form-action 'self'");
    const html = await page.text();
    expect(html.match(/class="client-name"/g)).toHaveLength(2);
    expect(html.indexOf('(offline-b)')).toBeLessThan(html.indexOf('Nextcloud Desktop'));
    expect(html).toContain('<span class="scopes">email, groups, offline_access, openid, profile</span>');
    expect(html).toContain('It stays connected while you are away');
    expect(html).toContain('<input type="hidden" name="client_id" value="offline">');
    const listed = (await (await api(w, browser, '/api/oidc/consents')).json()) as { status: string; data: { client_id: string }[] };
    expect(listed.status).toBe('OK');
    expect(listed.data).toEqual([
      {
        client_id: 'offline-b',
        client_name: 'offline-b',
        scopes: ['openid'],
        authorized_at: new Date(w.clock.now()).toISOString(),
        offline_access: false,
        remembered_until: null,
      },
      {
        client_id: 'offline',
        client_name: 'Nextcloud Desktop',
        scopes: ['email', 'groups', 'offline_access', 'openid', 'profile'],
        authorized_at: new Date(w.clock.now() - 60_000).toISOString(),
        offline_access: true,
        remembered_until: null,
      },
    ]);
    const revoked = await browser.postForm(`${portalOrigin}/consents/revoke`, { client_id: 'offline' }, same);
    expect([revoked.status, revoked.headers.get('location')]).toEqual([303, '/consents?revoked=offline']);
    const after = await (await browser.get(`${portalOrigin}/consents?revoked=offline`)).text();
    expect(after).toContain('Access revoked for offline');
    expect(after).not.toContain('Nextcloud Desktop');
    for (const { tokens } of [first, second]) {
      expect(await refusal(client.refreshTokenGrant(nextcloud, tokens.refresh_token!))).toEqual({
        error: 'invalid_grant',
        description: 'The refresh token has been revoked.',
      });
      expect(await userinfoStatus(w, tokens.access_token)).toBe(401);
    }
    expect(await userinfoStatus(w, kept.tokens.access_token)).toBe(200);
    const [event] = await w.gateway.storage.oidc.auditTrail(1);
    expect(event).toMatchObject({ event: 'consent_revoked', clientId: 'offline', username: 'john', detail: '2 grant(s), 0 consent(s)' });
  });

  it('forgets a remembered consent through the JSON API: the app asks again', async () => {
    const w = await startRefreshProvider();
    const config = await configFor(w, 'offline-remember');
    const { browser, tokens } = await signIn(w, config, { remember: true });
    const listed = (await (await api(w, browser, '/api/oidc/consents')).json()) as { data: { remembered_until: string }[] };
    expect(listed.data[0]?.remembered_until).toEqual(expect.stringMatching(/^2026-/));
    expect((await signIn(w, config, { browser, prompt: 'none' })).consentPage).toBeUndefined();
    const answer = await api(w, browser, '/api/oidc/consents/revoke', { client_id: 'offline-remember' });
    expect(await answer.json()).toEqual({ status: 'OK', data: { grants: 2, consents: 1 } });
    expect((await refusal(client.refreshTokenGrant(config, tokens.refresh_token!))).error).toBe('invalid_grant');
    const asked = await signIn(w, config, { browser });
    expect(asked.consentPage).toContain('offline_access');
    const empty = await api(w, browser, '/api/oidc/consents/revoke', { client_id: 'never-authorised' });
    expect(await empty.json()).toEqual({ status: 'OK', data: { grants: 0, consents: 0 } });
  });

  it('refuses cross-site revocation and revokes nothing; a visitor who is not signed in signs in first (page) or gets 401 (API)', async () => {
    const w = await startRefreshProvider();
    const config = await configFor(w, 'offline');
    const { browser, tokens } = await signIn(w, config);
    const crossSite = await browser.postForm(
      `${portalOrigin}/consents/revoke`,
      { client_id: 'offline' },
      { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' },
    );
    expect(crossSite.status).toBe(403);
    const crossApi = await api(w, browser, '/api/oidc/consents/revoke', { client_id: 'offline' }, { origin: 'https://evil.example' });
    expect(crossApi.status).toBe(403);
    expect((await api(w, browser, '/api/oidc/consents/revoke', {})).status).toBe(400);
    expect(await userinfoStatus(w, tokens.access_token)).toBe(200);
    expect((await client.refreshTokenGrant(config, tokens.refresh_token!)).refresh_token).toBeDefined();
    const stranger = new Browser(w.fetch);
    const toLogin = await stranger.get(`${portalOrigin}/consents`);
    expect([toLogin.status, toLogin.headers.get('location')]).toEqual([302, `/?rd=${encodeURIComponent(`${portalOrigin}/consents`)}`]);
    const unauthenticated = await api(w, stranger, '/api/oidc/consents');
    expect([unauthenticated.status, await unauthenticated.json()]).toEqual([401, { status: 'KO', message: 'You are not signed in.' }]);
    expect((await api(w, stranger, '/api/oidc/consents/revoke', { client_id: 'offline' })).status).toBe(401);
    const signedOutForm = await stranger.postForm(`${portalOrigin}/consents/revoke`, { client_id: 'offline' }, same);
    expect([signedOutForm.status, signedOutForm.headers.get('location')]).toEqual([303, '/']);
  });

  it('shows an empty list to a user who authorised nothing', async () => {
    const w = await startRefreshProvider();
    const browser = new Browser(w.fetch);
    await browser.login('bob', 'bobpassword');
    expect(await (await browser.get(`${portalOrigin}/consents`)).text()).toContain('No application has access to your account.');
  });
});
