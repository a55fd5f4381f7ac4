import { generateKeyPairSync } from 'node:crypto';
import { SignJWT, decodeProtectedHeader } from 'jose';
import { describe, expect, it } from 'vitest';
import type { OidcDeps } from '../../../src/oidc/deps.js';
import { rotateSigningKey } from '../../../src/oidc/key-rotation.js';
import { KeyStore } from '../../../src/oidc/keys.js';
import { endSessionPort } from '../../../src/oidc/logout/end-session.js';
import { ManualClock } from '../../../src/shared/clock.js';
import { systemRandom } from '../../../src/shared/random.js';
import { configOf, minimalRaw, tempDir } from '../../helpers/config.js';
import { secret } from '../../helpers/oidc.js';
import { memoryStorage } from '../../helpers/storage.js';
import { type Browser, type LogoutWorld, confirmFields, cspDirective, issuer, portalOrigin, startLogoutProvider } from './logout-world.js';

const bye = 'https://app.example.com/bye?from=gatehouse';
const otherBye = 'http://two.gatehouse.localhost/after';

/** `rp` registers two post-logout redirect URIs; `rp-two` one; neither takes front-channel logouts. */
const clients = [
  { client_id: 'rp', client_name: 'Relying <Party>', post_logout_redirect_uris: [bye, 'http://app.gatehouse.localhost/signed-out'] },
  { client_id: 'rp-two', post_logout_redirect_uris: [otherBye] },
];

const world = (oidc: Record<string, unknown> = {}, config: Record<string, unknown> = {}) => startLogoutProvider(clients, oidc, config);

/** A browser signed into `rp`, with its ID token. */
async function signedIn(w: LogoutWorld, clientId = 'rp') {
  const browser = w.newBrowser();
  const tokens = await w.signIn(browser, clientId);
  return { browser, ...tokens };
}

/** The request was refused with the error page: 400 HTML, no redirect, and `browser` is still signed in. */
async function expectRefused(w: LogoutWorld, response: Response, browser: Browser, says: string) {
  expect(response.status).toBe(400);
  expect(response.headers.get('location')).toBeNull();
  expect(response.headers.get('content-type')).toMatch(/^text\/html/);
  const page = await response.text();
  expect(page).toContain('Sign-out request refused');
  expect(page).toContain(says);
  expect(page).toContain('invalid_request');
  expect(await w.username(browser)).toBe('john');
}

describe('end-session: a hint tied to the session ends it at once (RP-Initiated Logout 1.0 §2)', () => {
  it('ends the session, clears the cookie, kills its tokens and redirects to the registered URI with state (its query kept)', async () => {
    const w = await world();
    const { browser, id_token, access_token } = await signedIn(w);
    const response = await w.endSession(browser, { id_token_hint: id_token, post_logout_redirect_uri: bye, state: 'st/ate=1&x' });
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe('https://app.example.com/bye?from=gatehouse&state=st%2Fate%3D1%26x');
    expect(new URL(response.headers.get('location')!).searchParams.get('state')).toBe('st/ate=1&x');
    expect(response.headers.getSetCookie().some((c) => /=;/.test(c) && /Max-Age=0/i.test(c))).toBe(true);
    expect(await w.username(browser)).toBe('');
    const info = await w.fetch(`${issuer}/api/oidc/userinfo`, { headers: { authorization: `Bearer ${access_token}` } });
    expect(info.status).toBe(401);
  });

  it('with client_id too, over POST from the application (a cross-site form), and without state', async () => {
    const w = await world();
    const { browser, id_token } = await signedIn(w);
    const response = await browser.postForm(
      `${issuer}/api/oidc/end-session`,
      { id_token_hint: id_token, client_id: 'rp', post_logout_redirect_uri: 'http://app.gatehouse.localhost/signed-out' },
      { origin: 'http://app.gatehouse.localhost', 'sec-fetch-site': 'same-site' },
    );
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe('http://app.gatehouse.localhost/signed-out');
    expect(await w.username(browser)).toBe('');
  });

  it('without post_logout_redirect_uri: the signed-out page, and state is not echoed anywhere', async () => {
    const w = await world();
    const { browser, id_token } = await signedIn(w);
    const response = await w.endSession(browser, { id_token_hint: id_token, state: 'ignored' });
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe('/logout');
    const page = await (await browser.get(`${portalOrigin}/logout`)).text();
    expect(page).toContain('You are signed out.');
    expect(await w.username(browser)).toBe('');
  });

  it('accepts an expired hint (§2): the application signs out after its ID token expired', async () => {
    const w = await world({ lifespans: { id_token: '1m' } });
    const { browser, id_token } = await signedIn(w);
    w.clock.advance(2 * 60_000); // the ID token is expired; the session (5 min inactivity) is not
    const response = await w.endSession(browser, { id_token_hint: id_token, post_logout_redirect_uri: bye });
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe(bye);
    expect(await w.username(browser)).toBe('');
  });

  it('accepts logout_hint and ui_locales (not used)', async () => {
    const w = await world();
    const { browser, id_token } = await signedIn(w);
    const response = await w.endSession(browser, { id_token_hint: id_token, logout_hint: 'john', ui_locales: 'fr-CA fr en' });
    expect(response.status).toBe(303);
    expect(await w.username(browser)).toBe('');
  });
});

describe('end-session: asks first when the request is not tied to the session', () => {
  it('without a hint: the confirmation page; the session ends only once the user confirms', async () => {
    const w = await world();
    const { browser } = await signedIn(w);
    const response = await w.endSession(browser, { client_id: 'rp', post_logout_redirect_uri: bye, state: 'abc' });
    expect(response.status).toBe(200);
    const page = await response.text();
    expect(page).toContain('<h1>Sign out of Test Gate?</h1>');
    expect(page).toContain('<strong id="client-name">Relying &lt;Party&gt;</strong> asks you to sign out.');
    expect(await w.username(browser)).toBe('john');
    // The form carries the checked parameters (never a hint); its redirect may end at the URI's origin.
    expect(confirmFields(page)).toEqual({ client_id: 'rp', post_logout_redirect_uri: bye, state: 'abc' });
    expect(cspDirective(response.headers.get('content-security-policy'), 'form-action')).toContain('https://app.example.com');
    const confirmed = await w.confirm(browser, confirmFields(page));
    expect(confirmed.status).toBe(303);
    expect(confirmed.headers.get('location')).toBe('https://app.example.com/bye?from=gatehouse&state=abc');
    expect(await w.username(browser)).toBe('');
  });

  it('without any parameter: asks, and then shows the signed-out page', async () => {
    const w = await world();
    const { browser } = await signedIn(w);
    const page = await (await w.endSession(browser, {})).text();
    expect(page).toContain('Sign out of Test Gate?');
    expect(page).not.toContain('client-name');
    expect(confirmFields(page)).toEqual({});
    const confirmed = await w.confirm(browser, {});
    expect([confirmed.status, confirmed.headers.get('location')]).toEqual([303, '/logout']);
    expect(await w.username(browser)).toBe('');
  });

  it('a hint of another browser session (its sid) asks, and leaves this session alone until confirmed', async () => {
    const w = await world();
    const first = await signedIn(w);
    const second = await signedIn(w);
    expect(second.sid).not.toBe(first.sid);
    const response = await w.endSession(second.browser, { id_token_hint: first.id_token, post_logout_redirect_uri: bye });
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('Sign out of Test Gate?');
    expect(await w.username(second.browser)).toBe('john');
    expect(await w.username(first.browser)).toBe('john');
  });

  it("a hint with this session's sid but another subject asks", async () => {
    const w = await world();
    const { browser, sid } = await signedIn(w);
    const hint = await w.mint({ sub: '00000000-0000-4000-8000-000000000000', aud: 'rp', azp: 'rp', sid });
    const response = await w.endSession(browser, { id_token_hint: hint });
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('Sign out of Test Gate?');
    expect(await w.username(browser)).toBe('john');
    // The same claims with john's subject are tied to the session: it ends at once.
    const { sub } = await w.signIn(browser, 'rp');
    const tied = await w.endSession(browser, { id_token_hint: await w.mint({ sub, aud: 'rp', azp: 'rp', sid }) });
    expect(tied.status).toBe(303);
    expect(await w.username(browser)).toBe('');
  });

  it('a replayed request does not sign out the session opened since (the old sid is not the new one)', async () => {
    const w = await world();
    const { browser, id_token, sid } = await signedIn(w);
    const request = { id_token_hint: id_token, post_logout_redirect_uri: bye, state: 's1' };
    expect((await w.endSession(browser, request)).status).toBe(303);
    expect(await w.username(browser)).toBe('');
    const again = await w.signIn(browser, 'rp');
    expect(again.sid).not.toBe(sid);
    const replayed = await w.endSession(browser, request);
    expect(replayed.status).toBe(200);
    expect(await replayed.text()).toContain('Sign out of Test Gate?');
    expect(await w.username(browser)).toBe('john');
  });

  it('the confirmation POST is refused cross-site (CSRF): 403, the session stays', async () => {
    const w = await world();
    const { browser } = await signedIn(w);
    const fields = { client_id: 'rp', post_logout_redirect_uri: bye };
    const url = `${issuer}/api/oidc/end-session/confirm`;
    const attempts: Record<string, string>[] = [
      { origin: 'https://evil.example.com', 'sec-fetch-site': 'cross-site' },
      { origin: 'http://app.gatehouse.localhost', 'sec-fetch-site': 'same-site' },
      { origin: 'https://evil.example.com' },
      {},
    ];
    for (const headers of attempts) {
      const response = await browser.postForm(url, fields, headers);
      expect(response.status).toBe(403);
      expect(response.headers.get('location')).toBeNull();
      expect(await w.username(browser)).toBe('john');
    }
  });

  it('the confirmation checks its parameters again: an unregistered URI posted to it is refused', async () => {
    const w = await world();
    const { browser } = await signedIn(w);
    const response = await w.confirm(browser, { client_id: 'rp', post_logout_redirect_uri: 'https://evil.example.com/' });
    await expectRefused(w, response, browser, 'post_logout_redirect_uri is not registered for this client.');
  });
});

describe('end-session: a request from another site the browser sent without the session cookie (SameSite)', () => {
  it('lax (the default): a cross-site POST showing no session is sent back as a GET, which carries the cookie', async () => {
    const w = await world();
    const { browser, id_token } = await signedIn(w);
    const fields = { id_token_hint: id_token, post_logout_redirect_uri: bye, state: 's', ui_locales: 'en', unknown: 'dropped' };
    // What the browser sends for the application's form: no cookie.
    const posted = await w
      .newBrowser()
      .postForm(`${issuer}/api/oidc/end-session`, fields, { origin: 'https://app.example.com', 'sec-fetch-site': 'cross-site' });
    expect(posted.status).toBe(303);
    const location = posted.headers.get('location')!;
    expect(location.startsWith('/api/oidc/end-session?')).toBe(true);
    const { unknown: _unknown, ...sent } = fields;
    expect(Object.fromEntries(new URL(location, issuer).searchParams)).toEqual(sent);
    expect(await w.username(browser)).toBe('john');
    // The GET it leads to, with the cookie: the session ends.
    const ended = await browser.get(`${issuer}${location}`);
    expect([ended.status, ended.headers.get('location')]).toEqual([303, `${bye}&state=s`]);
    expect(await w.username(browser)).toBe('');
    // A GET showing no session is not bounced again (no loop): straight on.
    const again = await w.newBrowser().get(`${issuer}${location}`);
    expect([again.status, again.headers.get('location')]).toEqual([303, `${bye}&state=s`]);
  });

  it('strict: a cross-site request showing no session gets the confirmation page, whose same-origin form carries the cookie', async () => {
    const cookie = { domain: 'gatehouse.localhost', portal_url: portalOrigin, default_redirection_url: 'http://home.gatehouse.localhost' };
    const w = await world({}, { session: { same_site: 'strict', cookies: [cookie] } });
    const { browser, id_token } = await signedIn(w);
    // The application's link, followed without the cookie; the same without Sec-Fetch-Site: nobody to sign out.
    const url = `${issuer}/api/oidc/end-session?${new URLSearchParams({ id_token_hint: id_token, post_logout_redirect_uri: bye })}`;
    expect((await w.fetch(url)).status).toBe(303);
    const asked = await w.fetch(url, { headers: { 'sec-fetch-site': 'cross-site' } });
    expect(asked.status).toBe(200);
    const page = await asked.text();
    expect(page).toContain('Sign out of Test Gate?');
    const confirmed = await w.confirm(browser, confirmFields(page));
    expect([confirmed.status, confirmed.headers.get('location')]).toEqual([303, bye]);
    expect(await w.username(browser)).toBe('');
  });
});

describe('end-session: nobody signed in', () => {
  it('goes straight to the registered URI, or the signed-out page, without asking', async () => {
    const w = await world();
    const browser = w.newBrowser();
    const response = await w.endSession(browser, { client_id: 'rp-two', post_logout_redirect_uri: otherBye, state: 'x' });
    expect([response.status, response.headers.get('location')]).toEqual([303, `${otherBye}?state=x`]);
    const plain = await w.endSession(browser, {});
    expect([plain.status, plain.headers.get('location')]).toEqual([303, '/logout']);
  });

  it('still checks everything: an unregistered URI is the error page, never a redirect', async () => {
    const w = await world();
    const response = await w.endSession(w.newBrowser(), { client_id: 'rp', post_logout_redirect_uri: 'https://evil.example.com/' });
    expect(response.status).toBe(400);
    expect(response.headers.get('location')).toBeNull();
    expect(await response.text()).toContain('post_logout_redirect_uri is not registered for this client.');
  });
});

describe('end-session: bad input is the error page, no redirect, the session not ended', () => {
  const notRegistered = 'post_logout_redirect_uri is not registered for this client.';

  it.each([
    ['unregistered', 'https://evil.example.com/bye?from=gatehouse'],
    ['another client’s', otherBye],
    ['differing in the case of the host', 'https://APP.example.com/bye?from=gatehouse'],
    ['differing in the case of the path', 'https://app.example.com/Bye?from=gatehouse'],
    ['with a trailing slash', 'https://app.example.com/bye/?from=gatehouse'],
    ['without its query', 'https://app.example.com/bye'],
    ['with another query', 'https://app.example.com/bye?from=elsewhere'],
    ['with an extra query parameter', 'https://app.example.com/bye?from=gatehouse&next=https://evil.example.com'],
    ['with another scheme', 'http://app.example.com/bye?from=gatehouse'],
    ['with an explicit default port', 'https://app.example.com:443/bye?from=gatehouse'],
    ['with a fragment', 'https://app.example.com/bye?from=gatehouse#x'],
  ])('a post_logout_redirect_uri %s', async (_what, uri) => {
    const w = await world();
    const { browser, id_token } = await signedIn(w);
    await expectRefused(w, await w.endSession(browser, { id_token_hint: id_token, post_logout_redirect_uri: uri, state: 's' }), browser, notRegistered);
    await expectRefused(w, await w.endSession(browser, { client_id: 'rp', post_logout_redirect_uri: uri }), browser, notRegistered);
  });

  it('a post_logout_redirect_uri with no client named (no client_id, no hint)', async () => {
    const w = await world();
    const { browser } = await signedIn(w);
    const response = await w.endSession(browser, { post_logout_redirect_uri: bye });
    await expectRefused(w, response, browser, 'post_logout_redirect_uri needs client_id or id_token_hint');
  });

  it('an id_token_hint issued to another client than client_id', async () => {
    const w = await world();
    const { browser, id_token } = await signedIn(w, 'rp');
    const response = await w.endSession(browser, { id_token_hint: id_token, client_id: 'rp-two', post_logout_redirect_uri: otherBye });
    await expectRefused(w, response, browser, 'id_token_hint was not issued to the client named by client_id.');
  });

  it('an unknown client_id', async () => {
    const w = await world();
    const { browser } = await signedIn(w);
    await expectRefused(w, await w.endSession(browser, { client_id: 'nobody' }), browser, 'client_id names no client of this provider.');
  });

  it('a repeated parameter', async () => {
    const w = await world();
    const { browser } = await signedIn(w);
    const response = await browser.get(`${issuer}/api/oidc/end-session?client_id=rp&client_id=rp-two`);
    await expectRefused(w, response, browser, 'The parameter &#39;client_id&#39; must not be repeated.');
  });

  describe('an id_token_hint that is not an ID token of this provider', () => {
    const notOurs = 'id_token_hint is not an ID token issued by this provider.';
    const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

    /** Claims of a hint that would be tied to the session, but for what the case changes. */
    async function refusedHint(build: (w: LogoutWorld, claims: Record<string, unknown>, kid: string) => Promise<string> | string) {
      const w = await world();
      const { browser, id_token, sid, sub } = await signedIn(w);
      const claims = { iss: issuer, sub, aud: 'rp', azp: 'rp', sid, iat: Math.floor(w.clock.now() / 1000), exp: Math.floor(w.clock.now() / 1000) + 3600 };
      const hint = await build(w, claims, String(decodeProtectedHeader(id_token).kid));
      await expectRefused(w, await w.endSession(browser, { id_token_hint: hint, post_logout_redirect_uri: bye, state: 's' }), browser, notOurs);
    }

    it('forged: our kid, another key', async () => {
      const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      await refusedHint((_w, claims, kid) => new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid, typ: 'JWT' }).sign(privateKey));
    });

    it('forged: a real ID token with its claims altered', async () => {
      await refusedHint(async (w, claims) => {
        const [header, , signature] = (await w.mint(claims)).split('.');
        return `${header}.${b64({ ...claims, sub: 'someone-else' })}.${signature}`;
      });
    });

    it('alg none', async () => {
      await refusedHint((_w, claims) => `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims)}.`);
    });

    it('HS256 (with the client secret, as some providers sign ID tokens)', async () => {
      await refusedHint((_w, claims, kid) => new SignJWT(claims).setProtectedHeader({ alg: 'HS256', kid, typ: 'JWT' }).sign(Buffer.from(secret)));
    });

    it('from another issuer, even signed with our key', async () => {
      await refusedHint((w, claims) => w.mint({ ...claims, iss: 'https://evil.example.com' }));
    });

    it('a logout token or JWT access token of ours (typ is not JWT)', async () => {
      await refusedHint((w, claims) => w.mint(claims, { typ: 'logout+jwt' }));
    });

    it('without a subject', async () => {
      await refusedHint((w, { sub: _sub, ...claims }) => w.mint(claims));
    });

    it.each([['garbage'], ['a.b.c'], ['']])('not a JWT at all: %j', async (text) => {
      await refusedHint(() => text);
    });
  });
});

describe('end-session: the keys a hint is checked against', () => {
  it('accepts a hint signed by a retired key (no longer in /jwks.json, still held); refuses it once the key is deleted', async () => {
    const clock = new ManualClock();
    const storage = memoryStorage(clock);
    const keys = await KeyStore.load([], storage.oidc, clock);
    const oidc = configOf(
      minimalRaw(tempDir(), {
        identity_providers: {
          oidc: {
            hmac_secret: 'a-very-long-hmac-secret-for-tests',
            clients: [{ client_id: 'rp', client_secret: secret, redirect_uris: ['https://rp.example.com/cb'], post_logout_redirect_uris: [bye] }],
          },
        },
      }),
    ).identityProviders.oidc!;
    // Only what the port reads: clients, keys, repository, clock, random.
    const deps = { config: oidc, clients: new Map(oidc.clients.map((c) => [c.id, c])), keys, repository: storage.oidc, clock, random: systemRandom };
    const port = endSessionPort(deps as Partial<OidcDeps> as OidcDeps);
    const old = keys.signer('RS256');
    const now = Math.floor(clock.now() / 1000);
    const hint = await new SignJWT({ iss: 'https://auth.example.com', sub: 'subject', aud: 'rp', azp: 'rp', sid: 's', iat: now, exp: now + 60 })
      .setProtectedHeader({ alg: 'RS256', kid: old.kid, typ: 'JWT' })
      .sign(old.privateKey);
    const rotation = await rotateSigningKey(storage.oidc, oidc, { algorithm: 'RS256', publishDelay: 0, now: clock.now() });
    clock.set(rotation.retiring[0]!.retiresAt + 1);
    await keys.reload();
    expect(keys.jwks().keys.map((k) => k.kid)).not.toContain(old.kid);
    const checked = await port.check({ id_token_hint: hint, post_logout_redirect_uri: bye }, 'https://auth.example.com');
    expect(checked).toMatchObject({ clientId: 'rp', redirect: bye, hint: { sid: 's', subject: 'subject', clientId: 'rp' } });
    // Deleted by the purge and read again: the key is gone, and so is the hint's standing.
    await storage.oidc.deleteRetiredSigningKeys(clock.now());
    await keys.reload();
    await expect(port.check({ id_token_hint: hint }, 'https://auth.example.com')).rejects.toThrow('id_token_hint is not an ID token issued by this provider.');
  });
});
