import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { deviceName } from '../../src/portal/actions/device-name.js';
import type { WebAuthnCredential } from '../../src/storage/auth-repositories.js';
import { injectListener } from '../helpers/gateway.js';
import { client as oidcClient } from '../helpers/oidc.js';
import { PortalClient, lastCode, portalHost, portalOrigin, startPortal, totpCode } from '../helpers/portal.js';
import { configFor, refusal, signIn, startRefreshProvider, userinfoStatus } from '../oidc/refresh-helpers.js';

type World = Awaited<ReturnType<typeof startPortal>>;

const chromeOnLinux = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36';
const safariOnIphone =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1';
const signInAgain = `/?rd=${encodeURIComponent(`${portalOrigin}/settings`)}`;

/** A signed-in client of `username`, its sign-in sent with `userAgent`. */
async function signedIn(world: World, username = 'john', userAgent = chromeOnLinux): Promise<PortalClient> {
  const client = new PortalClient(world.gateway);
  const password = username === 'bob' ? 'bobpassword' : 'password';
  expect((await client.postJson('/api/firstfactor', { username, password }, { 'user-agent': userAgent })).status).toBe(200);
  return client;
}

/** Enrols an authenticator app for the client's user through the API (the client reaches level 2); returns its secret. */
async function enrolTotp(world: World, client: PortalClient): Promise<string> {
  await client.postJson('/api/secondfactor/totp/identity/start', {});
  const { secret } = (await client.postJson('/api/secondfactor/totp/identity/finish', { code: lastCode(world.notifications) })).json().data;
  expect((await client.postJson('/api/secondfactor/totp/register', { token: totpCode(secret, world.clock) })).status).toBe(200);
  return secret as string;
}

const key = (over: Partial<WebAuthnCredential> = {}): WebAuthnCredential => ({
  username: 'john',
  rpId: 'gatehouse.localhost',
  credentialId: 'Y3JlZC0x',
  description: 'YubiKey',
  publicKey: Buffer.from([0xa5, 0x01, 0x02, 0x03, 0x26]),
  signCount: 5,
  transports: ['usb', 'nfc'],
  aaguid: 'ee882879-721c-4913-9775-3dfcce97072a',
  discoverable: false,
  backupEligible: false,
  backedUp: false,
  createdAt: Date.UTC(2026, 10, 20, 9, 30),
  lastUsedAt: undefined,
  ...over,
});

/** PUT and DELETE as a same-origin script sends them (PortalClient speaks GET and POST). */
async function send(world: World, client: PortalClient, method: 'PUT' | 'DELETE', url: string, body?: unknown) {
  const response = await injectListener(world.gateway, {
    method,
    url,
    payload: body === undefined ? undefined : JSON.stringify(body),
    headers: {
      host: portalHost,
      origin: portalOrigin,
      'sec-fetch-site': 'same-origin',
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(client.cookie ? { cookie: client.cookie } : {}),
    },
  });
  return { status: response.statusCode, json: () => response.json() };
}

const sessionIds = async (client: PortalClient) =>
  ((await client.get('/api/user/sessions')).json().data as { id: string; current: boolean }[]).map((s) => s.id);
const ownId = async (client: PortalClient) =>
  ((await client.get('/api/user/sessions')).json().data as { id: string; current: boolean }[]).find((s) => s.current)!.id;
const who = async (client: PortalClient) => (await client.get('/api/state')).json().data.username as string;

describe('the settings page (/settings)', () => {
  it('sends a visitor who is not signed in to sign in first, and back; the API answers 401', async () => {
    const world = await startPortal();
    const anonymous = new PortalClient(world.gateway);
    const page = await anonymous.get('/settings');
    expect([page.status, page.headers.location]).toEqual([302, signInAgain]);
    for (const path of ['/settings/totp/remove', '/settings/sessions/end-others']) {
      const form = await anonymous.postForm(path, {});
      expect([form.status, form.headers.location]).toEqual([303, signInAgain]);
    }
    const form = await anonymous.postForm('/settings/webauthn/rename', { id: 'x', description: 'y' });
    expect([form.status, form.headers.location]).toEqual([303, signInAgain]);
    const refusals = [
      await anonymous.get('/api/user/sessions'),
      await anonymous.get('/api/secondfactor/webauthn/credentials'),
      await anonymous.postJson('/api/user/info/2fa_method', { method: 'totp' }),
      await anonymous.postJson('/api/user/sessions/revoke', { id: 'x' }),
      await anonymous.postJson('/api/user/sessions/revoke-others', {}),
      await send(world, anonymous, 'DELETE', '/api/secondfactor/totp'),
      await send(world, anonymous, 'PUT', '/api/secondfactor/webauthn/credential/abc', { description: 'x' }),
      await send(world, anonymous, 'DELETE', '/api/secondfactor/webauthn/credential/abc'),
    ];
    for (const answer of refusals) expect([answer.status, answer.json()]).toEqual([401, { status: 'KO', message: 'You are not signed in.' }]);
  });

  it('shows the password link, the authenticator app to set up, keys, this session; no apps without OpenID Connect; linked from the signed-in page', async () => {
    const world = await startPortal();
    const john = await signedIn(world);
    expect((await john.get('/authenticated')).body).toContain('<a href="/settings">Settings</a>');
    const page = await john.get('/settings');
    expect(page.status).toBe(200);
    expect(page.headers['content-security-policy']).toContain("form-action 'self'");
    expect(page.body).toContain('<title>Settings · Test Gate</title>');
    expect(page.body).toContain('Signed in as <strong>John &lt;Doe&gt;</strong> (john).');
    expect(page.body).toContain('<a href="/settings/password">Change password</a>');
    // No second factor yet: the set-up form comes back here; nothing to protect, so no "confirm first".
    expect(page.body).toContain(
      `<form method="post" action="/2fa/enroll/start"><input type="hidden" name="rd" value="${portalOrigin}/settings?done=totp-added"><button type="submit" class="secondary">Set up an authenticator app</button></form>`,
    );
    expect(page.body).not.toContain('confirm-first');
    expect(page.body).toContain('<p class="hint" id="no-credentials">None yet.</p>');
    expect(page.body).toContain('<a href="/settings/webauthn">Add a security key or passkey</a>');
    expect(page.body).not.toContain('id="preferred"');
    expect(page.body).toContain('<strong class="device" title="Mozilla/5.0 (X11; Linux x86_64)');
    expect(page.body).toContain('>Chrome on Linux</strong> <span class="badge">This device</span>');
    expect(page.body).toContain(
      '<span class="nowrap">127.0.0.1</span> · <span class="nowrap">signed in 2026-11-25 12:00 UTC</span> · <span class="nowrap">last active 2026-11-25 12:00 UTC</span>',
    );
    expect(page.body).toContain('You are signed in nowhere else.');
    expect(page.body).not.toContain('id="apps"');
  });

  it('says so when second factors are disabled; their API answers 404', async () => {
    const world = await startPortal({ totp: { disable: true }, webauthn: { disable: true } });
    const john = await signedIn(world);
    expect((await john.get('/settings')).body).toContain('Second factors are disabled on this server.');
    expect((await john.get('/api/secondfactor/webauthn/credentials')).status).toBe(404);
    expect((await send(world, john, 'DELETE', '/api/secondfactor/totp')).status).toBe(404);
    expect((await john.postForm('/settings/totp/remove', {})).status).toBe(404);
  });
});

describe('second factors on the settings page', () => {
  it('a password alone cannot remove the authenticator app (403, the page asks to confirm first); two factors can, and the user is told by e-mail', async () => {
    const world = await startPortal();
    const secret = await enrolTotp(world, await signedIn(world));
    world.clock.advance(30_000);
    const john = await signedIn(world);
    const page = (await john.get('/settings')).body;
    expect(page).toContain(`<a href="/2fa?rd=${encodeURIComponent(`${portalOrigin}/settings`)}">confirm it is you with your second factor</a>`);
    expect(page).toContain('Set up: its one-time codes are a second factor.');
    expect(page).not.toContain('action="/settings/totp/remove"');
    const refused = await john.postForm('/settings/totp/remove', {});
    expect(refused.status).toBe(403);
    expect(refused.body).toContain('Confirm it is you with your second factor first: this change needs a two-factor sign-in.');
    expect((await send(world, john, 'DELETE', '/api/secondfactor/totp')).status).toBe(403);
    expect((await john.get('/api/user/info')).json().data.has_totp).toBe(true);

    expect((await john.postForm('/2fa', { token: totpCode(secret, world.clock), rd: `${portalOrigin}/settings` })).headers.location).toBe(
      `${portalOrigin}/settings`,
    );
    expect((await john.get('/settings')).body).toContain('<form method="post" action="/settings/totp/remove">');
    const removed = await john.postForm('/settings/totp/remove', {});
    expect([removed.status, removed.headers.location]).toEqual([303, '/settings?done=totp-removed']);
    const after = (await john.get('/settings?done=totp-removed')).body;
    expect(after).toContain('<p class="alert info" role="status" id="form-message">Your authenticator app was removed.</p>');
    expect(after).toContain('Set up an authenticator app');
    expect((await john.get('/api/user/info')).json().data.has_totp).toBe(false);
    expect(lastNotice(world)).toContain('Your authenticator app was removed from your Test Gate account.');
    // Nothing left to remove: 404.
    expect((await send(world, john, 'DELETE', '/api/secondfactor/totp')).json()).toEqual({ status: 'KO', message: 'You have no authenticator app set up.' });
  });

  it('DELETE /api/secondfactor/totp removes the app at level 2', async () => {
    const world = await startPortal();
    const john = await signedIn(world);
    await enrolTotp(world, john);
    expect(await send(world, john, 'DELETE', '/api/secondfactor/totp')).toMatchObject({ status: 200 });
    expect((await john.get('/api/user/info')).json().data).toMatchObject({ has_totp: false, method: 'totp' });
  });

  it('lists security keys and passkeys; renames and removes them by form and API; refuses bad names, duplicates and keys that are not the user’s', async () => {
    const world = await startPortal();
    const john = await signedIn(world);
    await enrolTotp(world, john);
    const { webauthn } = world.gateway.storage;
    await webauthn.add(key());
    await webauthn.add(key({ credentialId: 'cGFzc2tleQ', description: 'Phone', discoverable: true, lastUsedAt: Date.UTC(2026, 10, 24, 8, 0) }));
    await webauthn.add(key({ username: 'bob', credentialId: 'Ym9icw', description: 'Bob’s key' }));

    const page = (await john.get('/settings')).body;
    expect(page).toContain('<strong class="name">YubiKey</strong> <span class="badge">Security key</span>');
    expect(page).toContain('Added 2026-11-20 09:30 UTC, never used.');
    expect(page).toContain('<strong class="name">Phone</strong> <span class="badge">Passkey</span>');
    expect(page).toContain('Added 2026-11-20 09:30 UTC, last used 2026-11-24 08:00 UTC.');
    expect(page).toContain('<input id="key-name-0" name="description" type="text" maxlength="64" required value="YubiKey">');
    expect(page).not.toContain('Bob’s key');

    const listed = (await john.get('/api/secondfactor/webauthn/credentials')).json();
    expect(listed.data).toHaveLength(2);
    expect(listed.data[1]).toEqual({
      id: 'cGFzc2tleQ',
      kid: 'cGFzc2tleQ==',
      rpid: 'gatehouse.localhost',
      username: 'john',
      description: 'Phone',
      aaguid: 'ee882879-721c-4913-9775-3dfcce97072a',
      created_at: '2026-11-20T09:30:00.000Z',
      last_used_at: '2026-11-24T08:00:00.000Z',
      transports: ['usb', 'nfc'],
      sign_count: 5,
      discoverable: true,
      backup_eligible: false,
      backup_state: false,
    });

    const renamed = await john.postForm('/settings/webauthn/rename', { id: 'Y3JlZC0x', description: '  Blue key  ' });
    expect([renamed.status, renamed.headers.location]).toEqual([303, '/settings?done=key-renamed']);
    expect((await webauthn.find('Y3JlZC0x'))?.description).toBe('Blue key');
    expect((await send(world, john, 'PUT', '/api/secondfactor/webauthn/credential/cGFzc2tleQ', { description: 'Pixel' })).json()).toEqual({ status: 'OK' });
    expect((await webauthn.find('cGFzc2tleQ'))?.description).toBe('Pixel');

    for (const description of ['', '   ', 'x'.repeat(65), 'tab\there']) {
      const bad = await john.postForm('/settings/webauthn/rename', { id: 'Y3JlZC0x', description });
      expect(bad.status).toBe(400);
      expect(bad.body).toContain('<p class="alert error" role="alert" id="form-message">Give the key a name of 1 to 64 characters.</p>');
      const api = await send(world, john, 'PUT', '/api/secondfactor/webauthn/credential/Y3JlZC0x', { description });
      expect([api.status, api.json().message]).toEqual([400, 'Give the key a name of 1 to 64 characters.']);
    }
    expect((await john.postForm('/settings/webauthn/rename', { id: 'Y3JlZC0x', description: 'x'.repeat(64) })).status).toBe(303);
    const duplicate = await send(world, john, 'PUT', '/api/secondfactor/webauthn/credential/Y3JlZC0x', { description: 'PIXEL' });
    expect([duplicate.status, duplicate.json().message]).toEqual([409, 'You already have a key with that name: choose another.']);

    // Unknown, and another user's: 404, and bob's key is untouched.
    for (const id of ['bm9uZQ', 'Ym9icw']) {
      expect((await john.postForm('/settings/webauthn/rename', { id, description: 'mine' })).status).toBe(404);
      expect((await john.postForm('/settings/webauthn/remove', { id })).status).toBe(404);
      expect((await send(world, john, 'PUT', `/api/secondfactor/webauthn/credential/${id}`, { description: 'mine' })).status).toBe(404);
      expect((await send(world, john, 'DELETE', `/api/secondfactor/webauthn/credential/${id}`)).json()).toEqual({
        status: 'KO',
        message: 'You have no security key or passkey with that ID.',
      });
    }
    expect(await webauthn.find('Ym9icw')).toMatchObject({ username: 'bob', description: 'Bob’s key' });

    const removed = await john.postForm('/settings/webauthn/remove', { id: 'Y3JlZC0x' });
    expect([removed.status, removed.headers.location]).toEqual([303, '/settings?done=key-removed']);
    expect(lastNotice(world)).toContain(`Your security key "${'x'.repeat(64)}" was removed from your Test Gate account.`);
    expect((await send(world, john, 'DELETE', '/api/secondfactor/webauthn/credential/cGFzc2tleQ')).status).toBe(200);
    expect(await webauthn.list('john')).toEqual([]);
  });

  it('a password alone cannot rename or remove a key when the user has one (403)', async () => {
    const world = await startPortal();
    await world.gateway.storage.webauthn.add(key());
    const john = await signedIn(world);
    const page = (await john.get('/settings')).body;
    expect(page).not.toContain('action="/settings/webauthn/remove"');
    // Setting up an app would count as the second factor: not offered before the key is used.
    expect(page).toContain('<p class="hint">Not set up.</p>');
    expect(page).not.toContain('action="/2fa/enroll/start"');
    expect((await john.postForm('/settings/webauthn/rename', { id: 'Y3JlZC0x', description: 'Stolen' })).status).toBe(403);
    expect((await john.postForm('/settings/webauthn/remove', { id: 'Y3JlZC0x' })).status).toBe(403);
    expect((await send(world, john, 'PUT', '/api/secondfactor/webauthn/credential/Y3JlZC0x', { description: 'Stolen' })).status).toBe(403);
    expect((await send(world, john, 'DELETE', '/api/secondfactor/webauthn/credential/Y3JlZC0x')).status).toBe(403);
    expect(await world.gateway.storage.webauthn.find('Y3JlZC0x')).toMatchObject({ description: 'YubiKey' });
  });

  it('the preferred method is one the user has: a form among them, POST /api/user/info/2fa_method, reported by /api/user/info', async () => {
    const world = await startPortal();
    const john = await signedIn(world);
    const info = async () => (await john.get('/api/user/info')).json().data;
    // No second factor: nothing to prefer; the method the server offers first.
    expect(await info()).toMatchObject({ username: 'john', method: 'totp', has_totp: false, has_webauthn: false, has_duo: false });
    expect((await john.postJson('/api/user/info/2fa_method', { method: 'totp' })).json()).toEqual({
      status: 'KO',
      message: 'Choose one of the second factors you have set up.',
    });
    await enrolTotp(world, john);
    expect((await john.get('/settings')).body).toContain('<p id="preferred">Offered first when you sign in: <strong>Authenticator app</strong>.</p>');
    expect((await john.postForm('/settings/method', { method: 'webauthn' })).status).toBe(400);
    for (const method of ['duo', 'mobile_push', '']) expect((await john.postJson('/api/user/info/2fa_method', { method })).status).toBe(400);

    await world.gateway.storage.webauthn.add(key());
    const page = (await john.get('/settings')).body;
    expect(page).toContain('<label class="check"><input type="radio" name="method" value="totp" checked> Authenticator app</label>');
    expect(page).toContain('<label class="check"><input type="radio" name="method" value="webauthn"> Security key or passkey</label>');
    const saved = await john.postForm('/settings/method', { method: 'webauthn' });
    expect([saved.status, saved.headers.location]).toEqual([303, '/settings?done=method-saved']);
    expect(await info()).toMatchObject({ method: 'webauthn', has_totp: true, has_webauthn: true });
    expect((await john.get('/settings')).body).toContain('value="webauthn" checked>');
    expect((await john.postJson('/api/user/info/2fa_method', { method: 'totp' })).json()).toEqual({ status: 'OK' });
    expect((await info()).method).toBe('totp');

    // A level-1 session may not change it.
    world.clock.advance(30_000);
    const again = await signedIn(world);
    expect((await again.postJson('/api/user/info/2fa_method', { method: 'webauthn' })).status).toBe(403);
    expect((await info()).method).toBe('totp');
  });
});

describe('sessions on the settings page', () => {
  it('lists the user’s sessions with device, IP and times, this one first and marked; only the user’s', async () => {
    const world = await startPortal();
    const laptop = await signedIn(world, 'john', chromeOnLinux);
    world.clock.advance(60_000);
    const phone = await signedIn(world, 'john', safariOnIphone);
    await signedIn(world, 'bob');
    world.clock.advance(60_000);
    const page = (await laptop.get('/settings')).body;
    expect(page.indexOf('Chrome on Linux')).toBeLessThan(page.indexOf('Safari on iPhone'));
    expect(page).toContain(
      '>Safari on iPhone</strong></p>\n<p class="hint"><span class="nowrap">127.0.0.1</span> · <span class="nowrap">signed in 2026-11-25 12:01 UTC</span> · <span class="nowrap">last active 2026-11-25 12:01 UTC</span></p>',
    );
    expect(page).toContain('Sign out<span class="visually-hidden"> Safari on iPhone</span></button>');
    expect(page).toContain('Ends your other session; this one stays signed in.');
    const listed = (await phone.get('/api/user/sessions')).json().data;
    expect(listed).toHaveLength(2);
    expect(listed[0]).toMatchObject({
      current: true,
      device: 'Safari on iPhone',
      user_agent: safariOnIphone,
      ip: '127.0.0.1',
      signed_in_at: '2026-11-25T12:01:00.000Z',
      authentication_level: 1,
      cookie_domain: 'gatehouse.localhost',
    });
    expect(listed[1]).toMatchObject({ current: false, device: 'Chrome on Linux' });
    expect(listed[0].id).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('signs out one other session; refuses this session and another user’s (which stays alive)', async () => {
    const world = await startPortal();
    const laptop = await signedIn(world);
    const phone = await signedIn(world, 'john', safariOnIphone);
    const bob = await signedIn(world, 'bob');
    const bobsId = await ownId(bob);

    const notMine = await laptop.postForm('/settings/sessions/end', { id: bobsId });
    expect(notMine.status).toBe(404);
    expect(notMine.body).toContain('That session is not one of yours, or it has already ended.');
    expect((await laptop.postJson('/api/user/sessions/revoke', { id: bobsId })).status).toBe(404);
    expect(await who(bob)).toBe('bob');
    const own = await laptop.postJson('/api/user/sessions/revoke', { id: await ownId(laptop) });
    expect([own.status, own.json().message]).toEqual([400, 'That is the session you are using: sign out to end it.']);
    expect((await laptop.postForm('/settings/sessions/end', { id: 'x'.repeat(43) })).status).toBe(404);

    const ended = await laptop.postForm('/settings/sessions/end', { id: await ownId(phone) });
    expect([ended.status, ended.headers.location]).toEqual([303, '/settings?done=session-ended']);
    expect(await who(phone)).toBe('');
    expect(await who(laptop)).toBe('john');
    expect((await laptop.get('/settings?done=session-ended')).body).toContain('That session was signed out.');
  });

  it('“sign out everywhere else” keeps this session and ends the user’s others, no one else’s', async () => {
    const world = await startPortal();
    const [laptop, phone, tablet] = [await signedIn(world), await signedIn(world, 'john', safariOnIphone), await signedIn(world)];
    const bob = await signedIn(world, 'bob');
    expect(await sessionIds(laptop)).toHaveLength(3);
    expect((await laptop.get('/settings')).body).toContain('Ends your 2 other sessions; this one stays signed in.');
    const answer = await laptop.postForm('/settings/sessions/end-others', {});
    expect([answer.status, answer.headers.location]).toEqual([303, '/settings?done=others-ended']);
    expect([await who(laptop), await who(phone), await who(tablet), await who(bob)]).toEqual(['john', '', '', 'bob']);
    expect((await laptop.get('/settings?done=others-ended')).body).toContain('You are signed in nowhere else.');
    // The API says how many ended.
    const again = await signedIn(world);
    expect((await again.postJson('/api/user/sessions/revoke-others', {})).json()).toEqual({ status: 'OK', data: { sessions: 1 } });
    expect(await who(laptop)).toBe('');
  });

  it('PUT and DELETE pass the cross-site check as POST does: refused cross-site or with neither Origin nor a JSON body; a script’s JSON body is accepted', async () => {
    const world = await startPortal();
    const john = await signedIn(world);
    await enrolTotp(world, john);
    await world.gateway.storage.webauthn.add(key());
    const raw = (method: 'PUT' | 'DELETE', headers: Record<string, string>, payload?: string) =>
      injectListener(world.gateway, {
        method,
        url: '/api/secondfactor/webauthn/credential/Y3JlZC0x',
        payload,
        headers: { host: portalHost, cookie: john.cookie!, ...headers },
      });
    const crossSite = { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site', 'content-type': 'application/json' };
    expect((await raw('PUT', crossSite, JSON.stringify({ description: 'Evil' }))).statusCode).toBe(403);
    expect((await raw('DELETE', crossSite, '{}')).statusCode).toBe(403);
    expect((await raw('DELETE', {})).statusCode).toBe(403);
    expect(await world.gateway.storage.webauthn.find('Y3JlZC0x')).toMatchObject({ description: 'YubiKey' });
    expect((await raw('PUT', { 'content-type': 'application/json' }, JSON.stringify({ description: 'Script' }))).statusCode).toBe(200);
    expect((await raw('DELETE', { 'content-type': 'application/json' }, '{}')).statusCode).toBe(200);
    expect(await world.gateway.storage.webauthn.find('Y3JlZC0x')).toBeUndefined();
  });

  it('refuses cross-site form posts (403) and changes nothing', async () => {
    const world = await startPortal();
    const laptop = await signedIn(world);
    const phone = await signedIn(world);
    const crossSite = { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' };
    expect((await laptop.postForm('/settings/sessions/end-others', {}, crossSite)).status).toBe(403);
    expect((await laptop.postForm('/settings/sessions/end', { id: await ownId(phone) }, crossSite)).status).toBe(403);
    expect(await who(phone)).toBe('john');
  });
});

describe('apps on the settings page', () => {
  it('lists the apps the user authorised while OpenID Connect runs; “Revoke” revokes the app’s tokens and comes back', async () => {
    const w = await startRefreshProvider();
    const nextcloud = await configFor(w, 'offline');
    const { browser, tokens } = await signIn(w, nextcloud);
    const page = await (await browser.get(`${portalOrigin}/settings`)).text();
    expect(page).toContain('<strong class="client-name">Nextcloud Desktop</strong> <span class="hint">(offline)</span>');
    expect(page).toContain('<input type="hidden" name="client_id" value="offline">');
    const same = { origin: portalOrigin, 'sec-fetch-site': 'same-origin' };
    const revoked = await browser.postForm(`${portalOrigin}/settings/apps/revoke`, { client_id: 'offline' }, same);
    expect([revoked.status, revoked.headers.get('location')]).toEqual([303, '/settings?done=app-revoked']);
    const after = await (await browser.get(`${portalOrigin}/settings?done=app-revoked`)).text();
    expect(after).toContain('The app’s access was revoked');
    expect(after).toContain('No app has access to your account.');
    expect(await refusal(oidcClient.refreshTokenGrant(nextcloud, tokens.refresh_token!))).toMatchObject({ error: 'invalid_grant' });
    expect(await userinfoStatus(w, tokens.access_token)).toBe(401);
  });
});

describe('deviceName', () => {
  it.each([
    [chromeOnLinux, 'Chrome on Linux'],
    [safariOnIphone, 'Safari on iPhone'],
    ['Mozilla/5.0 (iPad; CPU OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1', 'Safari on iPad'],
    ['Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0', 'Firefox on Windows'],
    ['Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Safari/605.1.15', 'Safari on macOS'],
    ['Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36', 'Chrome on Android'],
    ['Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0.0.0 Safari/537.36', 'Chrome on Linux'],
    ['curl/8.4.0', 'curl'],
    ['', 'Unknown device'],
    [undefined, 'Unknown device'],
    ['???', 'Unknown device'],
  ])('%j → %s', (agent, name) => {
    expect(deviceName(agent)).toBe(name);
  });
});

/** The newest message the notifier wrote. */
function lastNotice(world: World): string {
  const text = readFileSync(world.notifications, 'utf8');
  return text.slice(text.lastIndexOf('Hello '));
}
