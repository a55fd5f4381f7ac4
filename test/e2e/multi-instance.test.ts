import { TOTP } from 'otpauth';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dropSchema, freshSchemaName } from '../helpers/postgres.js';
import { lastCode } from '../helpers/portal.js';
import { eventually, startReceiver, verifyLogoutToken } from '../oidc/logout/receiver.js';
import {
  type Cluster,
  type Instance,
  RoutedBrowser,
  authorize,
  client,
  deliveredBy,
  firstFactor,
  flushRedisDatabase,
  forwardAuth,
  issuer,
  maxRetries,
  postJson,
  relyingParty,
  refusal,
  queuedLogouts,
  servicesAvailable,
  startCluster,
  storedKids,
  twoFactorHost,
} from './multi-instance/cluster.js';

/**
 * Issue 13, item 6: two `gatehouse serve` processes, A and B, on one configuration file, sharing
 * one Redis (sessions, database 11) and one PostgreSQL schema (everything stored, a fresh schema
 * for this file), each test steering its requests to one or the other as a load balancer might.
 * Whatever is done on one instance must hold on the other: sessions, second factors, logouts
 * (within the bound the README states), OpenID Connect codes and refresh tokens, bans, and
 * back-channel logout tokens sent once although both instances run a sender.
 */
const suite = 'test/e2e/multi-instance.test.ts';
const available = await servicesAvailable(suite);

/** README "Sessions": a change on one instance reaches the others at once (pub/sub), 2 s at worst. */
const invalidationBound = 2_000;

/** The code of `secret` (SHA1, 6 digits, 30 s: the defaults) for the time step `offset` steps from now. */
function totpCode(secret: string, offset = 0): string {
  return new TOTP({ secret, digits: 6, period: 30, algorithm: 'SHA1' }).generate({ timestamp: Date.now() + offset * 30_000 });
}

describe.skipIf(!available)('two gatehouse serve processes sharing Redis sessions and PostgreSQL storage', () => {
  const schema = freshSchemaName();
  // One pair for the file, as a cluster keeps running: each test has users and browsers of its own.
  let cluster: Cluster;

  beforeAll(async () => {
    await flushRedisDatabase();
    cluster = await startCluster(schema);
  });
  afterAll(async () => {
    await cluster?.stop();
    await dropSchema(schema);
    await flushRedisDatabase();
  });

  it('1. a login on A is a session on B: forward-auth on B answers 200 with Remote-User john', async () => {
    const { a, b } = cluster;
    const browser = new RoutedBrowser(a);
    expect((await forwardAuth(b, undefined)).status).toBe(302);
    expect(await firstFactor(browser.via(a), 'john')).toMatchObject({ status: 200, body: { status: 'OK' } });
    const onB = await forwardAuth(b, browser.cookie);
    expect(onB.status).toBe(200);
    expect(onB.headers.get('remote-user')).toBe('john');
    expect(onB.headers.get('remote-groups')).toBe('dev');
    expect(onB.headers.get('remote-name')).toBe('John');
    expect(onB.headers.get('remote-email')).toBe('john@gatehouse.localhost');
    // One factor on both: the two_factor site asks for the second one, on B as on A.
    expect((await forwardAuth(b, browser.cookie, twoFactorHost)).status).toBe(302);
    expect((await forwardAuth(a, browser.cookie, twoFactorHost)).status).toBe(302);
  });

  it('2. TOTP enrolled through A works on B: a login on B with the code reaches the two_factor site', async () => {
    const { a, b, notifications } = cluster;
    const enrolling = new RoutedBrowser(a);
    expect((await firstFactor(enrolling.via(a), 'john')).status).toBe(200);
    // The portal's enrolment, its steps spread over both instances: the identity check's code
    // (stored in PostgreSQL) is sent by A and checked by B; the pending key (sealed in the
    // session, in Redis) is prepared by B and confirmed on A with the new app's first code.
    expect(await postJson(a, enrolling, '/api/secondfactor/totp/identity/start', {})).toMatchObject({ status: 200, body: { status: 'OK' } });
    const finish = await postJson(b, enrolling, '/api/secondfactor/totp/identity/finish', { code: lastCode(notifications) });
    expect(finish.status).toBe(200);
    const secret = finish.body.data!.secret as string;
    expect(secret).toMatch(/^[A-Z2-7]+=*$/);
    const enrolmentCode = totpCode(secret);
    expect(await postJson(a, enrolling, '/api/secondfactor/totp/register', { token: enrolmentCode })).toMatchObject({ status: 200, body: { status: 'OK' } });
    expect((await forwardAuth(a, enrolling.cookie, twoFactorHost)).status).toBe(200);

    // A new login on B: first factor, then the code. The step used on A is spent on B too.
    const browser = new RoutedBrowser(b);
    expect((await firstFactor(browser.via(b), 'john')).status).toBe(200);
    expect((await forwardAuth(b, browser.cookie, twoFactorHost)).status).toBe(302);
    expect(await postJson(b, browser, '/api/secondfactor/totp', { token: enrolmentCode })).toMatchObject({ status: 401, body: { status: 'KO' } });
    expect(await postJson(b, browser, '/api/secondfactor/totp', { token: totpCode(secret, 1) })).toMatchObject({ status: 200, body: { status: 'OK' } });
    const onB = await forwardAuth(b, browser.cookie, twoFactorHost);
    expect(onB.status).toBe(200);
    expect(onB.headers.get('remote-user')).toBe('john');
    expect((await forwardAuth(a, browser.cookie, twoFactorHost)).status).toBe(200);
  });

  it(`3. a logout on B is honoured by A within the stated bound (${invalidationBound} ms), A having the session in its cache`, async () => {
    const { a, b } = cluster;
    const browser = new RoutedBrowser(a);
    expect((await firstFactor(browser.via(a), 'john')).status).toBe(200);
    const cookie = browser.cookie;
    // Both instances have read the session (A last, just before the logout): A answers from memory.
    expect((await forwardAuth(b, cookie)).status).toBe(200);
    expect((await forwardAuth(a, cookie)).status).toBe(200);
    const sent = performance.now();
    expect(await postJson(b, browser.via(b), '/api/logout', {})).toMatchObject({ status: 200, body: { status: 'OK' } });
    const answered = performance.now();
    let refusedAt = 0;
    let status = 200;
    let polls = 0;
    await eventually(
      async () => {
        status = (await forwardAuth(a, cookie)).status;
        refusedAt = performance.now();
        polls++;
        return status !== 200;
      },
      'A to refuse the session B logged out',
      invalidationBound,
    );
    expect(status).toBe(302);
    const delay = refusedAt - sent;
    console.log(
      `multi-instance: A refused the session ${delay.toFixed(1)} ms after the logout was sent to B ` +
        `(B answered the logout after ${(answered - sent).toFixed(1)} ms; A asked ${polls} time(s); bound ${invalidationBound} ms)`,
    );
    expect(delay).toBeLessThanOrEqual(invalidationBound);
    // That the change message (not the 2 s fall-back) did it is shown without timing by the
    // frozen-clock tests of test/session/contract.test.ts, and here by case 2 (a step made on B
    // read at once on A).
    expect((await forwardAuth(b, cookie)).status).toBe(302);
  });

  it('4. an OpenID Connect code from A is redeemed at B, its refresh token used at A, the rotated one at B', async () => {
    const { a, b } = cluster;
    const rpA = await relyingParty(a, 'rp-a');
    const rpB = await relyingParty(b, 'rp-a');
    const browser = new RoutedBrowser(a);
    expect((await firstFactor(browser.via(a), 'john')).status).toBe(200);
    // The authorization request on A, the consent on B (the pending request lives in PostgreSQL).
    const flow = await authorize(browser, rpA, { authorize: a, consent: b });
    const first = await flow.redeem(rpB);
    expect(first.claims()).toMatchObject({ iss: issuer, aud: 'rp-a' });
    expect(first.refresh_token).toBeTruthy();
    // Each access token works at the other instance's userinfo.
    expect((await client.fetchUserInfo(rpA, first.access_token, first.claims()!.sub)).sub).toBe(first.claims()!.sub);

    const second = await client.refreshTokenGrant(rpA, first.refresh_token!);
    expect(second.refresh_token).toBeTruthy();
    expect(second.refresh_token).not.toBe(first.refresh_token);
    expect((await client.fetchUserInfo(rpB, second.access_token, first.claims()!.sub)).email).toBe('john@gatehouse.localhost');
    const third = await client.refreshTokenGrant(rpB, second.refresh_token!);
    expect(third.refresh_token).toBeTruthy();
    expect(third.refresh_token).not.toBe(second.refresh_token);
    expect((await client.fetchUserInfo(rpA, third.access_token, first.claims()!.sub)).sub).toBe(first.claims()!.sub);
    expect((await client.tokenIntrospection(rpA, third.refresh_token!)).active).toBe(true);
    expect((await client.tokenIntrospection(rpB, third.refresh_token!)).active).toBe(true);
    // The code redeemed at B is spent at A too; the replay revokes the grant (RFC 6749 §4.1.2)
    // for both instances: the newest refresh token and access token stop working everywhere.
    expect(await refusal(flow.redeem(rpA))).toBe('invalid_grant');
    expect((await client.tokenIntrospection(rpB, third.refresh_token!)).active).toBe(false);
    expect((await client.tokenIntrospection(rpA, third.access_token)).active).toBe(false);
    expect(await refusal(client.refreshTokenGrant(rpB, third.refresh_token!))).toBe('invalid_grant');
  });

  it(`5. a ban from ${maxRetries} failed logins on A applies on B: the right password is refused there`, async () => {
    const { a, b } = cluster;
    // Before: bob's password works on B (and a success ends any earlier run of failures).
    expect((await firstFactor(new RoutedBrowser(b), 'bob')).status).toBe(200);
    const attacker = new RoutedBrowser(a);
    for (let i = 0; i < maxRetries; i++) {
      expect(await firstFactor(attacker, 'bob', `wrong-${i}`)).toEqual({
        status: 401,
        body: { status: 'KO', message: 'Authentication failed. Check your credentials.' },
      });
    }
    const onB = new RoutedBrowser(b);
    expect(await firstFactor(onB, 'bob')).toEqual({ status: 401, body: { status: 'KO', message: 'Authentication failed. Check your credentials.' } });
    expect(onB.cookie).toBeUndefined();
    expect((await firstFactor(new RoutedBrowser(a), 'bob')).status).toBe(401);
    // Only bob is banned (regulation.modes: user): john still logs in on B from the same address.
    expect((await firstFactor(new RoutedBrowser(b), 'john')).status).toBe(200);
  });

  it('6. back-channel logout tokens are sent exactly once per client and session, though both instances run a sender', async () => {
    const { a, b, receiverPorts } = cluster;
    expect(await queuedLogouts(schema)).toBe(0);
    // The receivers hold every request open, so B's sender has at most two requests open per
    // client (perClientConcurrency): the third session's tokens wait in the queue for whichever
    // sender claims them next — A's poll, within a second.
    const receivers = { 'rp-a': await startReceiver('hang', receiverPorts['rp-a']), 'rp-b': await startReceiver('hang', receiverPorts['rp-b']) };
    const since = { a: a.output().length, b: b.output().length };
    const rp = { 'rp-a': await relyingParty(a, 'rp-a'), 'rp-b': await relyingParty(b, 'rp-b') };
    // Three browser sessions of alice (logged in on A, B, A), each signed into both clients.
    const browsers: RoutedBrowser[] = [];
    const sids: string[] = [];
    for (const login of [a, b, a]) {
      const other = login === a ? b : a;
      const browser = new RoutedBrowser(login);
      expect((await firstFactor(browser, 'alice')).status).toBe(200);
      const inA = await (await authorize(browser, rp['rp-a'], { authorize: login, consent: other }, 'openid profile')).redeem(rp['rp-a']);
      const inB = await (await authorize(browser, rp['rp-b'], { authorize: other, consent: login }, 'openid profile')).redeem(rp['rp-b']);
      expect(inB.claims()!.sid).toBe(inA.claims()!.sid);
      browsers.push(browser);
      sids.push(inA.claims()!.sid as string);
    }
    expect(new Set(sids).size).toBe(3);
    expect(await postJson(b, browsers[2]!.via(b), '/api/logout/everywhere', {})).toMatchObject({ status: 200, body: { status: 'OK' } });
    await eventually(() => Object.values(receivers).every((r) => r.received.length >= 3), 'each receiver to get three logout tokens', 4_000);
    for (const r of Object.values(receivers)) {
      r.answer('ok');
      r.release();
    }
    // An absence check, in real time: three poll intervals (1 s each) without another request.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const jwks = (await (await b.fetch(`${issuer}/jwks.json`)).json()) as Parameters<typeof verifyLogoutToken>[1];
    for (const [clientId, r] of Object.entries(receivers)) {
      expect(r.received.map((x) => x.path)).toEqual(['/backchannel', '/backchannel', '/backchannel']);
      const claims = await Promise.all(r.tokens().map((t) => verifyLogoutToken(t, jwks, { issuer, audience: clientId, now: Date.now() })));
      expect(claims.map((c) => c.sid).sort(), clientId).toEqual([...sids].sort());
    }
    // Both senders took part (B queued all six and kicked its own; A's poll claimed what B could not hold), each token sent once.
    const byA = deliveredBy(a, since.a);
    const byB = deliveredBy(b, since.b);
    console.log(`multi-instance: logout tokens delivered by A: ${byA.sort().join(', ') || 'none'}; by B: ${byB.sort().join(', ') || 'none'}`);
    expect([...byA, ...byB].sort()).toEqual(['rp-a', 'rp-a', 'rp-a', 'rp-b', 'rp-b', 'rp-b']);
    expect(byA.length).toBeGreaterThan(0);
    expect(byB.length).toBeGreaterThan(0);
  });

  it('7. both instances publish the same signing keys (/jwks.json): the ones stored in PostgreSQL', async () => {
    const { a, b } = cluster;
    const kids = async (instance: Instance) =>
      ((await (await instance.fetch(`${issuer}/jwks.json`)).json()) as { keys: { kid: string }[] }).keys.map((k) => k.kid).sort();
    const [onA, onB] = await Promise.all([kids(a), kids(b)]);
    expect(onA.length).toBeGreaterThan(0);
    expect(onB).toEqual(onA);
    expect(await storedKids(schema)).toEqual(onA);
  });
});
