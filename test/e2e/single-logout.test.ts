import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { openSessionAdmin } from '../../src/server/session-admin.js';
import { eventually, startReceiver } from '../oidc/logout/receiver.js';
import { callback as callbackUri } from './single-logout/world.js';
import {
  type Browser,
  type World,
  client,
  fullScope,
  forwardAuthBearer,
  issuer,
  refusal,
  sameOrigin,
  signIn,
  signedOutUri,
  startWorld,
  userinfoStatus,
  visitSite,
} from './single-logout/world.js';
import { freePort } from '../helpers/ports.js';

/**
 * Single logout end to end (issue 12): one browser session, over real HTTP with its cookie, signed
 * into two OpenID Connect relying parties (`rp-a`, `rp-b`, each with a refresh token and a
 * back-channel receiver that verifies what it gets with jose) and one site the gateway proxies.
 * However the session ends, every token issued in it must stop working at once, the proxied site
 * must ask for a login at once, and each relying party must get exactly one valid logout token.
 */

type Receiver = Awaited<ReturnType<typeof startReceiver>>;
type SignedIn = Awaited<ReturnType<typeof signIn>>;

type ClientId = 'rp-a' | 'rp-b';
const clients: readonly ClientId[] = ['rp-a', 'rp-b'];
/** rp-b signing in without offline_access (a grant that never survives a logout). */
const onlineScope = 'openid profile email gatehouse.bearer.authz';

/**
 * A world whose clients log out at `backchannel` (two fresh receivers unless given), and one
 * browser signed into both clients (rp-b with `scopeB`).
 */
async function signedInWorld(
  options: {
    revokeOfflineAccess?: boolean;
    scopeB?: string;
    receivers?: Record<ClientId, Receiver>;
    backchannel?: Partial<Record<ClientId, string>>;
    rpB?: Record<string, unknown>;
    redirectB?: string;
  } = {},
) {
  const receivers = options.receivers ?? { 'rp-a': await startReceiver('ok'), 'rp-b': await startReceiver('ok') };
  const w = await startWorld({
    backchannel: { 'rp-a': receivers['rp-a'].url, 'rp-b': receivers['rp-b'].url, ...options.backchannel },
    revokeOfflineAccess: options.revokeOfflineAccess,
    rpB: options.rpB,
  });
  const browser = w.browser();
  const configs = { 'rp-a': await w.configFor('rp-a'), 'rp-b': await w.configFor('rp-b') };
  const a = await signIn(w, browser, configs['rp-a']);
  const b = await signIn(w, browser, configs['rp-b'], options.scopeB, options.redirectB);
  return { w, browser, receivers, configs, signedIn: { 'rp-a': a, 'rp-b': b } as Record<ClientId, SignedIn> };
}

type Signed = Awaited<ReturnType<typeof signedInWorld>>;

/** Before any logout: everything the session gave works (so that what follows proves an end, not a setup fault). */
async function expectAlive(s: Signed, browser: Browser = s.browser, signedIn: Record<ClientId, SignedIn> = s.signedIn): Promise<void> {
  const { w } = s;
  // One browser session, one sid, in both clients' ID tokens; each client its own subject.
  expect(signedIn['rp-a'].sid).toMatch(/^[\w-]{16,}$/);
  expect(signedIn['rp-b'].sid).toBe(signedIn['rp-a'].sid);
  for (const id of clients) {
    const { tokens } = signedIn[id];
    expect(await userinfoStatus(w, tokens.access_token), id).toBe(200);
    expect((await client.tokenIntrospection(s.configs[id], tokens.access_token)).active, id).toBe(true);
    if (tokens.refresh_token) expect((await client.tokenIntrospection(s.configs[id], tokens.refresh_token)).active, id).toBe(true);
    expect(await forwardAuthBearer(w, tokens.access_token), id).toBe(200);
  }
  const before = w.upstream.seen.length;
  expect(await visitSite(w, browser)).toEqual({ status: 200, location: null });
  expect(w.upstream.seen.length).toBe(before + 1);
  expect(w.upstream.seen.at(-1)!.headers['remote-user']).toBe('john');
}

/** Every token `signedIn` holds is refused: refresh (invalid_grant), userinfo (401), introspection (inactive), forward-auth bearer (401). */
async function expectTokensDead(s: Signed, signedIn: Partial<Record<ClientId, SignedIn>> = s.signedIn): Promise<void> {
  for (const [id, { tokens }] of Object.entries(signedIn) as [ClientId, SignedIn][]) {
    if (tokens.refresh_token) {
      expect(await refusal(client.refreshTokenGrant(s.configs[id], tokens.refresh_token)), id).toBe('invalid_grant');
      expect(await client.tokenIntrospection(s.configs[id], tokens.refresh_token), id).toEqual({ active: false });
    }
    expect(await userinfoStatus(s.w, tokens.access_token), id).toBe(401);
    expect(await client.tokenIntrospection(s.configs[id], tokens.access_token), id).toEqual({ active: false });
    expect(await forwardAuthBearer(s.w, tokens.access_token), id).toBe(401);
  }
}

/** The proxied site answers the browser with the login redirect (302 to the portal), and nothing reaches the upstream. */
async function expectLoginAsked(w: World, browser: Browser): Promise<void> {
  const before = w.upstream.seen.length;
  const visit = await visitSite(w, browser);
  expect(visit.status).toBe(302);
  const login = new URL(visit.location!);
  expect(login.origin).toBe(issuer);
  expect(login.searchParams.get('rd')).toBe('http://wiki.gatehouse.localhost/page');
  expect(w.upstream.seen.length).toBe(before);
}

/**
 * Waits until `receiver` holds `count` logout tokens (at its registered path) and checks the
 * newest as relying party `id` would (receiver.ts: jose, signature against /jwks.json, typ, iss,
 * aud, events, no nonce), for `expected`'s `sid` and subject. Returns its claims.
 */
async function expectLogoutToken(s: Signed, id: ClientId, expected: SignedIn, count = 1, receiver: Receiver = s.receivers[id]) {
  await eventually(() => receiver.tokens().length >= count, `logout token ${count} of ${id}`);
  expect(receiver.tokens(), id).toHaveLength(count);
  const claims = await s.w.verify(receiver.tokens()[count - 1]!, id);
  expect([claims.sid, claims.sub], id).toEqual([expected.sid, expected.sub]);
  return claims;
}

/** Both clients got exactly one valid logout token for the session, with distinct jti, at their registered URI only; the queue is empty. */
async function expectBothTold(s: Signed): Promise<void> {
  const claims = [];
  for (const id of clients) claims.push(await expectLogoutToken(s, id, s.signedIn[id]));
  expect(new Set(claims.map((c) => c.jti)).size).toBe(2);
  await eventually(async () => (await s.w.gateway.storage.oidc.pendingLogouts()) === 0, 'the queue to empty');
  for (const id of clients) {
    expect(
      s.receivers[id].received.map((r) => [r.method, r.path, r.contentType]),
      id,
    ).toEqual([['POST', '/backchannel', 'application/x-www-form-urlencoded']]);
  }
}

/** The audit lines of delivered logout tokens: [client, reason], sorted. */
function delivered(w: World) {
  return w
    .logged('back-channel logout token delivered')
    .map((l) => [l.clientId, l.reason])
    .sort();
}

/** The audit lines of ended sessions: [username, reason]. */
function sessionsEnded(w: World) {
  return w.logged('session ended').map((l) => [l.username, l.reason]);
}

/** No token value — access, refresh, ID or logout token — is ever written to the log. */
function expectNoTokenInLogs(s: Signed): void {
  const text = JSON.stringify(s.w.logs);
  for (const id of clients) {
    const { tokens } = s.signedIn[id];
    for (const value of [tokens.access_token, tokens.refresh_token, tokens.id_token]) if (value) expect(text).not.toContain(value);
    for (const r of s.receivers[id].received) if (r.token) expect(text).not.toContain(r.token);
  }
}

describe('single logout: portal sign-out', () => {
  it('POST /logout (the form): both clients get one valid logout token, every token of the session dies and the proxied site asks for a login, at once', async () => {
    const s = await signedInWorld();
    await expectAlive(s);
    // rp-a signs in a second time in the same session (a second grant), and rotates that grant's refresh token.
    const again = await signIn(s.w, s.browser, s.configs['rp-a']);
    expect(again.sid).toBe(s.signedIn['rp-a'].sid);
    const rotated = await client.refreshTokenGrant(s.configs['rp-a'], again.tokens.refresh_token!);
    expect(await userinfoStatus(s.w, rotated.access_token)).toBe(200);
    expect([s.receivers['rp-a'].received, s.receivers['rp-b'].received]).toEqual([[], []]);
    const copy = s.w.browser();
    copy.cookie = s.browser.cookie;
    const out = await s.browser.postForm(`${issuer}/logout`, {}, sameOrigin);
    expect([out.status, out.headers.get('location')]).toEqual([303, '/logout']);
    expect(s.browser.cookie).toBeUndefined();
    // No waiting: the logout answer is back, so everything is over already.
    await expectTokensDead(s);
    await expectTokensDead(s, { 'rp-a': again });
    await expectTokensDead(s, { 'rp-a': { ...again, tokens: rotated } as SignedIn });
    await expectLoginAsked(s.w, s.browser);
    // The old cookie sent again (another tab, a copy) is refused too: the session is gone, not just the cookie.
    await expectLoginAsked(s.w, copy);
    await expectBothTold(s);
    expect(sessionsEnded(s.w)).toEqual([['john', 'logout']]);
    const told = s.w.logged('session ended: grants of the session revoked, clients told');
    expect(told).toMatchObject([{ username: 'john', reason: 'logout', kept: [] }]);
    // Three grants revoked; each client told once.
    expect([(told[0]!.revoked as string[]).sort(), (told[0]!.backchannel as string[]).sort()]).toEqual([
      ['rp-a', 'rp-a', 'rp-b'],
      ['rp-a', 'rp-b'],
    ]);
    expect(delivered(s.w)).toEqual([
      ['rp-a', 'logout'],
      ['rp-b', 'logout'],
    ]);
    expectNoTokenInLogs(s);
  });

  it('POST /api/logout (the portal script’s JSON call): the same', async () => {
    const s = await signedInWorld();
    await expectAlive(s);
    const out = await s.w.fetch(`${issuer}/api/logout`, {
      method: 'POST',
      body: '{}',
      headers: { 'content-type': 'application/json', ...sameOrigin, cookie: s.browser.cookie! },
    });
    expect([out.status, await out.json()]).toEqual([200, { status: 'OK', data: { safeTargetURL: false } }]);
    await expectTokensDead(s);
    await expectLoginAsked(s.w, s.browser);
    await expectBothTold(s);
    expect(delivered(s.w)).toEqual([
      ['rp-a', 'logout'],
      ['rp-b', 'logout'],
    ]);
  });
});

describe('single logout: logout.revoke_offline_access false', () => {
  it('keeps the offline_access grant (its refresh token still works) and revokes the others; both clients are still told', async () => {
    const s = await signedInWorld({ revokeOfflineAccess: false, scopeB: onlineScope });
    expect(s.signedIn['rp-b'].tokens.refresh_token).toBeUndefined();
    await expectAlive(s);
    await s.browser.postForm(`${issuer}/logout`, {}, sameOrigin);
    await expectLoginAsked(s.w, s.browser);
    // rp-b's grant had no offline_access: gone with the session.
    await expectTokensDead(s, { 'rp-b': s.signedIn['rp-b'] });
    // rp-a's offline_access grant survives: its refresh token works, and so does the new pair.
    const refreshed = await client.refreshTokenGrant(s.configs['rp-a'], s.signedIn['rp-a'].tokens.refresh_token!);
    expect(refreshed.scope?.split(' ').sort()).toEqual(fullScope.split(' ').sort());
    expect(await userinfoStatus(s.w, refreshed.access_token)).toBe(200);
    expect((await client.refreshTokenGrant(s.configs['rp-a'], refreshed.refresh_token!)).access_token).toBeDefined();
    // Both relying parties are told the browser session is over (rp-a ends its own session, keeping its offline token).
    await expectBothTold(s);
    expect(s.w.logged('session ended: grants of the session revoked, clients told')).toMatchObject([
      { reason: 'logout', revoked: ['rp-b'], kept: ['rp-a'], backchannel: ['rp-a', 'rp-b'] },
    ]);
  });
});

describe('single logout: session expiry', () => {
  it('inactivity found by the purge: the same end, logout tokens with reason expired', async () => {
    const s = await signedInWorld();
    await expectAlive(s);
    // Idle past `inactivity` (5 min); the tokens themselves (1 h, 90 min) are still far from expiring.
    s.w.clock.advance(5 * 60_000 + 1);
    expect(await s.w.gateway.sessions.purge()).toBe(1);
    await expectTokensDead(s);
    await expectLoginAsked(s.w, s.browser);
    await expectBothTold(s);
    expect(sessionsEnded(s.w)).toEqual([['john', 'expired']]);
    expect(delivered(s.w)).toEqual([
      ['rp-a', 'expired'],
      ['rp-b', 'expired'],
    ]);
  });

  it('the absolute expiration found on use (a request to the proxied site): the same end', async () => {
    const s = await signedInWorld();
    await expectAlive(s);
    // Active every 4 minutes (never idle for 5) …
    for (const minutes of [4, 8]) {
      s.w.clock.advance(4 * 60_000);
      const state = await s.browser.get(`${issuer}/api/state`);
      expect(((await state.json()) as { data: { username: string } }).data.username, `after ${minutes} min`).toBe('john');
    }
    expect(sessionsEnded(s.w)).toEqual([]);
    // … until past `expiration` (10 min from login): the next request to the proxied site finds it over.
    s.w.clock.advance(4 * 60_000);
    await expectLoginAsked(s.w, s.browser);
    expect(sessionsEnded(s.w)).toEqual([['john', 'expired']]);
    await expectTokensDead(s);
    await expectBothTold(s);
    expect(delivered(s.w)).toEqual([
      ['rp-a', 'expired'],
      ['rp-b', 'expired'],
    ]);
  });
});

describe('single logout: an administrator’s revocation, "log out everywhere"', () => {
  it('destroyByHash ends one browser session (the other goes on); destroyUser ends the rest: each tells the clients of its own session', async () => {
    const s = await signedInWorld();
    await expectAlive(s);
    // john's second browser, signed into rp-a only: another session, another sid.
    const second = s.w.browser();
    const other = await signIn(s.w, second, s.configs['rp-a']);
    expect(other.sid).not.toBe(s.signedIn['rp-a'].sid);
    expect(other.sub).toBe(s.signedIn['rp-a'].sub);
    const sessions = await s.w.gateway.sessions.listUser('john');
    expect(sessions).toHaveLength(2);
    const first = sessions.find((row) => row.state.sid === s.signedIn['rp-a'].sid)!;

    // The administrator revokes the first browser's session (gatehouse sessions revoke --session).
    expect(await s.w.gateway.sessions.destroyByHash(first.idHash, 'revoked')).toBe(true);
    await expectTokensDead(s);
    await expectLoginAsked(s.w, s.browser);
    await expectBothTold(s);
    // The second browser is untouched: its site visit, its tokens.
    expect((await visitSite(s.w, second)).status).toBe(200);
    expect(await userinfoStatus(s.w, other.tokens.access_token)).toBe(200);
    expect((await client.tokenIntrospection(s.configs['rp-a'], other.tokens.refresh_token!)).active).toBe(true);

    // "Log out everywhere" (gatehouse sessions revoke --user, the portal's button): the rest ends.
    expect(await s.w.gateway.sessions.destroyUser('john', 'logout-everywhere')).toBe(1);
    await expectTokensDead(s, { 'rp-a': other });
    await expectLoginAsked(s.w, second);
    // rp-a hears of the second session too; rp-b, never signed into from it, hears nothing more.
    await expectLogoutToken(s, 'rp-a', other, 2);
    await eventually(async () => (await s.w.gateway.storage.oidc.pendingLogouts()) === 0, 'the queue to empty');
    expect([s.receivers['rp-a'].tokens().length, s.receivers['rp-b'].tokens().length]).toEqual([2, 1]);
    expect(sessionsEnded(s.w)).toEqual([
      ['john', 'revoked'],
      ['john', 'logout-everywhere'],
    ]);
    expect(delivered(s.w)).toEqual([
      ['rp-a', 'logout-everywhere'],
      ['rp-a', 'revoked'],
      ['rp-b', 'revoked'],
    ]);
  });
  it('"sign out everywhere" (the signed-in page’s form, POST /logout/everywhere) from a second browser ends both sessions: each client told once per session it was signed into', async () => {
    const s = await signedInWorld();
    await expectAlive(s);
    const second = s.w.browser();
    const other = await signIn(s.w, second, s.configs['rp-a']);
    expect(other.sid).not.toBe(s.signedIn['rp-a'].sid);
    const out = await second.postForm(`${issuer}/logout/everywhere`, {}, sameOrigin);
    expect([out.status, out.headers.get('location')]).toEqual([303, '/logout']);
    expect(second.cookie).toBeUndefined();
    await expectTokensDead(s);
    await expectTokensDead(s, { 'rp-a': other });
    await expectLoginAsked(s.w, s.browser);
    await expectLoginAsked(s.w, second);
    await eventually(() => s.receivers['rp-a'].tokens().length === 2 && s.receivers['rp-b'].tokens().length === 1, 'three logout tokens');
    await eventually(async () => (await s.w.gateway.storage.oidc.pendingLogouts()) === 0, 'the queue to empty');
    const toA = await Promise.all(s.receivers['rp-a'].tokens().map((t) => s.w.verify(t, 'rp-a')));
    expect(toA.map((c) => c.sid).sort()).toEqual([s.signedIn['rp-a'].sid, other.sid].sort());
    expect(new Set(toA.map((c) => c.sub))).toEqual(new Set([other.sub]));
    await expectLogoutToken(s, 'rp-b', s.signedIn['rp-b']);
    expect(sessionsEnded(s.w)).toEqual([
      ['john', 'logout-everywhere'],
      ['john', 'logout-everywhere'],
    ]);
    expect(delivered(s.w)).toEqual([
      ['rp-a', 'logout-everywhere'],
      ['rp-a', 'logout-everywhere'],
      ['rp-b', 'logout-everywhere'],
    ]);
  });

  it('a revocation from another process (gatehouse sessions revoke, same database): the running gateway tells the clients and stops honouring the session within its cache’s 2 s', async () => {
    const s = await signedInWorld();
    await expectAlive(s);
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString('utf8').split('\n')) if (line.trim() !== '') lines.push(JSON.parse(line) as Record<string, unknown>);
        done();
      },
    });
    const admin = await openSessionAdmin(s.w.config, { logger: pino({ level: 'info' }, sink), appVersion: 'test', clock: s.w.clock });
    try {
      expect(await admin.sessions.destroyUser('john', 'revoked')).toBe(1);
    } finally {
      await admin.close();
    }
    expect(lines.filter((l) => l.msg === 'session ended').map((l) => [l.username, l.reason])).toEqual([['john', 'revoked']]);
    // The grants are revoked in the shared database: refused by the gateway at once.
    await expectTokensDead(s);
    // The gateway's sender finds the queued logouts on its own (nothing kicked it).
    await expectBothTold(s);
    expect(delivered(s.w)).toEqual([
      ['rp-a', 'revoked'],
      ['rp-b', 'revoked'],
    ]);
    // The gateway's session cache may serve the session for up to 2 s; then the proxied site asks for a login.
    s.w.clock.advance(2_000);
    await expectLoginAsked(s.w, s.browser);
  });
});

describe('single logout: the durable queue across a restart', () => {
  it('a receiver down at logout time gets its logout token from the next gateway on the same database', async () => {
    const down = await freePort();
    const s = await signedInWorld({ backchannel: { 'rp-b': `http://127.0.0.1:${down}/backchannel` } });
    await expectAlive(s);
    const out = await s.browser.postForm(`${issuer}/logout`, {}, sameOrigin);
    // The user's logout does not wait for the unreachable receiver.
    expect(out.status).toBe(303);
    await expectTokensDead(s);
    await expectLogoutToken(s, 'rp-a', s.signedIn['rp-a']);
    await eventually(() => s.w.logged('back-channel logout attempt failed').length === 1, 'the failed attempt');
    expect(s.w.logged('back-channel logout attempt failed')[0]).toMatchObject({ clientId: 'rp-b', reason: 'logout', attempts: 1 });
    expect(String(s.w.logged('back-channel logout attempt failed')[0]!.error)).toMatch(/^request failed: /);
    expect(await s.w.gateway.storage.oidc.pendingLogouts()).toBe(1);

    // The gateway stops with the delivery still owed; a new one starts on the same folder.
    await s.w.restart();
    expect(await s.w.gateway.storage.oidc.pendingLogouts()).toBe(1);
    // What the logout revoked stays revoked.
    await expectTokensDead(s);
    // rp-b comes back on its registered port; the retry falls due (2 s after the failure).
    const late = await startReceiver('ok', down);
    s.w.clock.advance(2_000);
    await expectLogoutToken(s, 'rp-b', s.signedIn['rp-b'], 1, late);
    await eventually(async () => (await s.w.gateway.storage.oidc.pendingLogouts()) === 0, 'the queue to empty');
    expect(late.received.map((r) => r.path)).toEqual(['/backchannel']);
    expect(s.w.logged('back-channel logout token delivered').map((l) => [l.clientId, l.attempts])).toEqual([
      ['rp-a', 1],
      ['rp-b', 2],
    ]);
    // rp-a was told once, by the first gateway: the restart sends nothing twice.
    expect(s.receivers['rp-a'].tokens()).toHaveLength(1);
  });
});

describe('single logout: a receiver on another host than the redirect URIs', () => {
  it('is allowed, and only the registered backchannel_logout_uri (path and query) is ever called', async () => {
    // rp-b's redirect and post-logout URIs are on a host that records every request; its logout receiver is elsewhere.
    const decoy = await startReceiver('ok');
    const receivers = { 'rp-a': await startReceiver('ok'), 'rp-b': await startReceiver('ok') };
    const redirect = `http://127.0.0.1:${decoy.port}/callback`;
    const registered = `http://127.0.0.1:${receivers['rp-b'].port}/rp-b/logout?tenant=7`;
    const s = await signedInWorld({
      receivers,
      backchannel: { 'rp-b': registered },
      rpB: { redirect_uris: [redirect], post_logout_redirect_uris: [`http://127.0.0.1:${decoy.port}/signed-out`] },
      redirectB: redirect,
    });
    expect(new URL(registered).host).not.toBe(new URL(redirect).host);
    await expectAlive(s);
    await s.browser.postForm(`${issuer}/logout`, {}, sameOrigin);
    await expectTokensDead(s);
    await expectLogoutToken(s, 'rp-a', s.signedIn['rp-a']);
    const rpB = s.receivers['rp-b'];
    await eventually(() => rpB.received.length === 1, 'the logout token of rp-b');
    await eventually(async () => (await s.w.gateway.storage.oidc.pendingLogouts()) === 0, 'the queue to empty');
    expect(rpB.received.map((r) => [r.method, r.path])).toEqual([['POST', '/rp-b/logout?tenant=7']]);
    const claims = await s.w.verify(rpB.received[0]!.token!, 'rp-b');
    expect([claims.sid, claims.sub]).toEqual([s.signedIn['rp-b'].sid, s.signedIn['rp-b'].sub]);
    // Nothing ever went to the redirect URIs' host, nor anywhere else on the receivers.
    expect(decoy.received).toEqual([]);
    expect(s.receivers['rp-a'].received.map((r) => r.path)).toEqual(['/backchannel']);
  });
});

describe('single logout: RP-initiated logout (end_session_endpoint)', () => {
  it('rp-a sends the browser to /api/oidc/end-session with its ID token: the session ends at once, both clients are told, on to its post_logout_redirect_uri with state', async () => {
    const s = await signedInWorld();
    await expectAlive(s);
    const url = endSessionUrl({
      id_token_hint: s.signedIn['rp-a'].tokens.id_token!,
      post_logout_redirect_uri: signedOutUri,
      state: 'after-logout-42',
    });
    const out = await s.browser.get(url);
    expect([out.status, out.headers.get('location')]).toEqual([303, `${signedOutUri}?state=after-logout-42`]);
    expect(s.browser.cookie).toBeUndefined();
    await expectTokensDead(s);
    await expectLoginAsked(s.w, s.browser);
    await expectBothTold(s);
    expect(sessionsEnded(s.w)).toEqual([['john', 'rp-logout']]);
    expect(delivered(s.w)).toEqual([
      ['rp-a', 'rp-logout'],
      ['rp-b', 'rp-logout'],
    ]);
    expectNoTokenInLogs(s);
  });

  it('without an id_token_hint nothing ends until the user confirms (a cross-site link cannot sign anyone out); confirmed, the same end', async () => {
    const s = await signedInWorld();
    await expectAlive(s);
    const url = endSessionUrl({ client_id: 'rp-b', post_logout_redirect_uri: signedOutUri, state: 's-7' });
    const asked = await s.browser.get(url);
    expect(asked.status).toBe(200);
    const page = await asked.text();
    expect(page).toContain('id="confirm-sign-out"');
    // Only asked: the session and every token live on, and nobody was told anything.
    await expectAlive(s);
    expect(await s.w.gateway.storage.oidc.pendingLogouts()).toBe(0);
    expect([s.receivers['rp-a'].received, s.receivers['rp-b'].received]).toEqual([[], []]);
    // The user presses "Sign out": the form posts what the page carries.
    const action = /<form method="post" action="([^"]+)"/.exec(page)![1]!;
    const fields = Object.fromEntries([...page.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map((m) => [m[1]!, decodeHtml(m[2]!)]));
    expect(fields).toEqual({ client_id: 'rp-b', post_logout_redirect_uri: signedOutUri, state: 's-7' });
    const out = await s.browser.postForm(new URL(decodeHtml(action), issuer).href, fields, sameOrigin);
    expect([out.status, out.headers.get('location')]).toEqual([303, `${signedOutUri}?state=s-7`]);
    await expectTokensDead(s);
    await expectLoginAsked(s.w, s.browser);
    await expectBothTold(s);
    expect(delivered(s.w)).toEqual([
      ['rp-a', 'rp-logout'],
      ['rp-b', 'rp-logout'],
    ]);
  });
});

/** The end-session endpoint (RP-Initiated Logout 1.0 §2) with these parameters, as a relying party sends the browser there. */
function endSessionUrl(parameters: Record<string, string>): string {
  return `${issuer}/api/oidc/end-session?${new URLSearchParams(parameters)}`;
}

/** The text of an HTML attribute value. */
function decodeHtml(text: string): string {
  return text.replace(/&(amp|lt|gt|quot|#39|#x27);/g, (_, name: string) => ({ amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'", '#x27': "'" })[name]!);
}

describe('single logout: what escaped it before (regressions)', () => {
  async function world() {
    const ra = await startReceiver('ok');
    const rb = await startReceiver('ok');
    const w = await startWorld({ backchannel: { 'rp-a': ra.url, 'rp-b': rb.url } });
    return { w, ra };
  }

  it('a code issued before the sign-out and redeemed after it is refused (its grant would have outlived the session)', async () => {
    const { w, ra } = await world();
    const browser = w.browser();
    const config = await w.configFor('rp-a');
    await signIn(w, browser, config);
    // A second authorization in the same session: the code is kept, not redeemed.
    const verifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: callbackUri,
      scope: fullScope,
      state,
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    });
    let location = new URL((await browser.get(url)).headers.get('location')!, issuer);
    if (location.pathname === '/consent') {
      const flow = { flow_id: location.searchParams.get('flow_id')!, decision: 'accept' };
      const accepted = await browser.postForm(`${issuer}/consent`, flow, sameOrigin);
      location = new URL((await browser.get(accepted.headers.get('location')!)).headers.get('location')!, issuer);
    }
    expect(location.searchParams.get('code')).toBeTruthy();
    await browser.postForm(`${issuer}/logout`, {}, sameOrigin);
    await eventually(() => ra.tokens().length === 1, 'the logout token');
    expect(await refusal(client.authorizationCodeGrant(config, location, { pkceCodeVerifier: verifier, expectedState: state }))).toBe('invalid_grant');
  });

  it('another user signing in over a signed-in session ends the first user’s session with single logout', async () => {
    const { w, ra } = await world();
    const browser = w.browser();
    const config = await w.configFor('rp-a');
    const john = await signIn(w, browser, config);
    expect((await browser.login('bob', 'bobpassword')).status).toBe(200);
    expect(await userinfoStatus(w, john.tokens.access_token)).toBe(401);
    expect(await refusal(client.refreshTokenGrant(config, john.tokens.refresh_token!))).toBe('invalid_grant');
    await eventually(() => ra.tokens().length === 1, 'the logout token');
    expect(w.logged('session ended')).toEqual([expect.objectContaining({ username: 'john', reason: 'logout' })]);
  });
});
