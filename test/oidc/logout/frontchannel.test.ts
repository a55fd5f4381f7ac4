import { describe, expect, it } from 'vitest';
import { type LogoutWorld, confirmFields, cspDirective, frameSources, issuer, portalOrigin, startLogoutProvider } from './logout-world.js';

const bye = 'http://app.gatehouse.localhost/bye';

/**
 * `fc-session` wants `iss` and `sid` (its URI has a query of its own); `fc-plain` takes the URI as
 * registered (another origin, a port); `fc-other` shares `fc-session`'s origin; `no-fc` has no
 * front-channel logout URI.
 */
const clients = [
  {
    client_id: 'fc-session',
    client_name: 'Session <App>',
    frontchannel_logout_uri: 'http://app.gatehouse.localhost/frontchannel?tenant=a b',
    frontchannel_logout_session_required: true,
    post_logout_redirect_uris: [bye],
  },
  { client_id: 'fc-plain', frontchannel_logout_uri: 'https://two.example.com:8443/logout' },
  { client_id: 'fc-other', frontchannel_logout_uri: 'http://app.gatehouse.localhost/other-app/logout' },
  { client_id: 'no-fc', post_logout_redirect_uris: [bye] },
];

const world = () => startLogoutProvider(clients);

/** The portal's sign-out form, posted from the portal. */
const signOutForm = (browser: ReturnType<LogoutWorld['newBrowser']>, fields: Record<string, string> = {}) =>
  browser.postForm(`${portalOrigin}/logout`, fields, { origin: portalOrigin, 'sec-fetch-site': 'same-origin' });

describe('front-channel logout (Front-Channel Logout 1.0): the signed-out page loads each client’s URI', () => {
  it('after the portal’s sign-out: one hidden iframe per client of the session, iss and sid where required, CSP frame-src exactly their origins', async () => {
    const w = await world();
    const browser = w.newBrowser();
    const { sid } = await w.signIn(browser, 'fc-session');
    await w.signIn(browser, 'fc-plain');
    await w.signIn(browser, 'fc-plain'); // a second grant of the same client: still one frame
    await w.signIn(browser, 'no-fc');
    const response = await signOutForm(browser);
    expect(response.status).toBe(200);
    const page = await response.text();
    const expectedSession = new URL('http://app.gatehouse.localhost/frontchannel?tenant=a b');
    expectedSession.searchParams.append('iss', issuer);
    expectedSession.searchParams.append('sid', sid);
    expect(frameSources(page)).toEqual([expectedSession.href, 'https://two.example.com:8443/logout']);
    const first = new URL(frameSources(page)[0]!);
    expect([first.searchParams.get('tenant'), first.searchParams.get('iss'), first.searchParams.get('sid')]).toEqual(['a b', issuer, sid]);
    expect(page).toContain('hidden></iframe>');
    expect(page).toContain('<strong>Session &lt;App&gt;</strong>, <strong>fc-plain</strong>');
    const csp = response.headers.get('content-security-policy');
    expect(cspDirective(csp, 'frame-src')).toEqual(['http://app.gatehouse.localhost', 'https://two.example.com:8443']);
    expect(cspDirective(csp, 'default-src')).toEqual(["'none'"]);
    expect(cspDirective(csp, 'frame-ancestors')).toEqual(["'none'"]);
    expect(response.headers.get('refresh')).toBeNull();
    expect(page).not.toContain('id="continue"');
    // The session is over, its cookie cleared.
    expect(response.headers.getSetCookie().some((c) => /Max-Age=0/i.test(c))).toBe(true);
    expect(await w.username(browser)).toBe('');
  });

  it('two clients on one origin: both framed, the origin listed once', async () => {
    const w = await world();
    const browser = w.newBrowser();
    await w.signIn(browser, 'fc-session');
    await w.signIn(browser, 'fc-other');
    const response = await signOutForm(browser);
    expect(frameSources(await response.text())).toHaveLength(2);
    expect(cspDirective(response.headers.get('content-security-policy'), 'frame-src')).toEqual(['http://app.gatehouse.localhost']);
  });

  it('only the clients of the session that ends: another browser’s clients are not framed', async () => {
    const w = await world();
    const mine = w.newBrowser();
    const other = w.newBrowser();
    await w.signIn(mine, 'fc-plain');
    await w.signIn(other, 'fc-session');
    const response = await signOutForm(mine);
    expect(frameSources(await response.text())).toEqual(['https://two.example.com:8443/logout']);
    expect(await w.username(other)).toBe('john');
  });

  it('with a target (rd): the page continues there after 2 s (Refresh) and offers a Continue link', async () => {
    const w = await world();
    const browser = w.newBrowser();
    await w.signIn(browser, 'fc-plain');
    const response = await signOutForm(browser, { rd: 'http://home.gatehouse.localhost/' });
    expect(response.status).toBe(200);
    expect(response.headers.get('refresh')).toBe('2; url=http://home.gatehouse.localhost/');
    expect(await response.text()).toContain('<a href="http://home.gatehouse.localhost/" id="continue">Continue</a>');
  });

  it('no front-channel client in the session: the usual 303, and no frame-src anywhere', async () => {
    const w = await world();
    const browser = w.newBrowser();
    await w.signIn(browser, 'no-fc');
    const response = await signOutForm(browser);
    expect([response.status, response.headers.get('location')]).toEqual([303, '/logout']);
    expect(cspDirective(response.headers.get('content-security-policy'), 'frame-src')).toBeUndefined();
    // The signed-out page it leads to frames nothing, whatever its query says.
    const page = await browser.get(`${portalOrigin}/logout?frame=https://evil.example.com/&rd=https://evil.example.com/`);
    expect(await page.text()).not.toContain('<iframe');
    expect(cspDirective(page.headers.get('content-security-policy'), 'frame-src')).toBeUndefined();
  });

  it('a client whose access the user revoked is no longer framed (its grant is gone)', async () => {
    const w = await world();
    const browser = w.newBrowser();
    await w.signIn(browser, 'fc-session');
    await w.signIn(browser, 'fc-plain');
    const revoked = await browser.postForm(
      `${portalOrigin}/consents/revoke`,
      { client_id: 'fc-plain' },
      { origin: portalOrigin, 'sec-fetch-site': 'same-origin' },
    );
    expect(revoked.status).toBe(303);
    const sources = frameSources(await (await signOutForm(browser)).text());
    expect(sources.map((s) => new URL(s).origin)).toEqual(['http://app.gatehouse.localhost']);
  });
});

describe('front-channel logout after RP-initiated logout', () => {
  it('a tied hint with a registered URI: the frames first, then on to the URI with state', async () => {
    const w = await world();
    const browser = w.newBrowser();
    const { id_token, sid } = await w.signIn(browser, 'fc-session');
    await w.signIn(browser, 'fc-plain');
    const response = await w.endSession(browser, { id_token_hint: id_token, post_logout_redirect_uri: bye, state: 'xyz' });
    expect(response.status).toBe(200);
    expect(response.headers.get('refresh')).toBe(`2; url=${bye}?state=xyz`);
    const page = await response.text();
    expect(page).toContain(`<a href="${bye}?state=xyz" id="continue">Continue</a>`);
    expect(frameSources(page)).toHaveLength(2);
    expect(new URL(frameSources(page)[0]!).searchParams.get('sid')).toBe(sid);
    expect(cspDirective(response.headers.get('content-security-policy'), 'frame-src')).toEqual([
      'http://app.gatehouse.localhost',
      'https://two.example.com:8443',
    ]);
    expect(await w.username(browser)).toBe('');
  });

  it('after the confirmation: the frames of the session it ended', async () => {
    const w = await world();
    const browser = w.newBrowser();
    await w.signIn(browser, 'fc-plain');
    const asked = await w.endSession(browser, { client_id: 'no-fc', post_logout_redirect_uri: bye });
    expect(asked.status).toBe(200);
    expect(cspDirective(asked.headers.get('content-security-policy'), 'frame-src')).toBeUndefined();
    const response = await w.confirm(browser, confirmFields(await asked.text()));
    expect(response.status).toBe(200);
    expect(frameSources(await response.text())).toEqual(['https://two.example.com:8443/logout']);
    expect(response.headers.get('refresh')).toBe(`2; url=${bye}`);
    expect(await w.username(browser)).toBe('');
  });

  it('nobody signed in: nothing to frame, straight on', async () => {
    const w = await world();
    const response = await w.endSession(w.newBrowser(), { client_id: 'fc-session', post_logout_redirect_uri: bye });
    expect([response.status, response.headers.get('location')]).toEqual([303, bye]);
  });
});

describe('front-channel logout after "Sign out everywhere"', () => {
  it('frames this browser’s clients (the other browser’s session ends too, its clients told over the back channel)', async () => {
    const w = await world();
    const here = w.newBrowser();
    const { sid } = await w.signIn(here, 'fc-session');
    const elsewhere = w.newBrowser();
    await w.signIn(elsewhere, 'fc-plain');
    const response = await here.postForm(`${portalOrigin}/logout/everywhere`, {}, { origin: portalOrigin, 'sec-fetch-site': 'same-origin' });
    expect(response.status).toBe(200);
    const expected = new URL('http://app.gatehouse.localhost/frontchannel?tenant=a b');
    expected.searchParams.append('iss', issuer);
    expected.searchParams.append('sid', sid);
    expect(frameSources(await response.text())).toEqual([expected.href]);
    expect(cspDirective(response.headers.get('content-security-policy'), 'frame-src')).toEqual(['http://app.gatehouse.localhost']);
    expect(await w.username(here)).toBe('');
    expect(await w.username(elsewhere)).toBe('');
  });
});
