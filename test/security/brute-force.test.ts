/**
 * Attack class 10: brute force. Regulation (`regulation.modes: [user, ip]`, 3 failures in 2
 * minutes ban for 5) must hold when the attacker spreads the guesses: one account from many
 * addresses, many accounts from one address, every spelling of one account (username, e-mail,
 * case; CVE-2025-24806) and every way in (the JSON API, the form, HTTP Basic at forward-auth;
 * CVE-2026-47203). Client addresses come from `X-Forwarded-For` only through a trusted proxy
 * (127.0.0.1 here); an untrusted peer is one address whatever it claims. Each ban is shown to be
 * the ban (the right password is refused, then accepted once it has expired).
 */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { escapeHtml } from '../../src/shared/html/escape.js';
import { until } from '../proxy/upstream.js';
import { type Reply, sharedWorld, type World } from './world.js';

const domain = 'gatehouse.localhost';
const users = ['ann', 'ben', 'cat', 'dan', 'eve', 'fay', 'gus', 'hal', 'ivy', 'jon'];

/** A password attempt through the way named, from the client address `ip` (via the trusted proxy) or from the untrusted peer `peer`. */
async function attempt(
  w: World,
  login: string,
  password: string,
  options: { ip?: string; peer?: string; via?: 'api' | 'form' | 'basic' } = {},
): Promise<number> {
  const headers = options.ip ? { 'x-forwarded-for': options.ip } : {};
  const client = w.client(options.peer ? { remoteAddress: options.peer } : {});
  let reply: Reply | { status: number };
  switch (options.via ?? 'api') {
    case 'api':
      reply = await client.postJson('/api/firstfactor', { username: login, password }, headers);
      break;
    case 'form':
      reply = await client.postForm('/login', { username: login, password }, headers);
      break;
    case 'basic': {
      const answer = await w.inject({
        method: 'GET',
        url: '/api/authz/forward-auth',
        remoteAddress: options.peer ?? '127.0.0.1',
        headers: {
          ...headers,
          'x-forwarded-method': 'GET',
          'x-forwarded-proto': 'http',
          'x-forwarded-host': `app.${domain}`,
          'x-forwarded-uri': '/',
          authorization: `Basic ${Buffer.from(`${login}:${password}`).toString('base64')}`,
        },
      });
      reply = { status: answer.statusCode };
      break;
    }
  }
  return reply.status;
}

const ok = (via: 'api' | 'form' | 'basic') => (via === 'form' ? 303 : 200);

describe('brute force: GHSA-m5mf-3963-4x26 (CVE-2025-24806), GHSA-hjj4-hfjm-fmrj (CVE-2026-47203), CVE-2023-36456; ASVS 2.2.1', () => {
  const world = sharedWorld({
    domain,
    users: Object.fromEntries(users.map((u) => [u, { password: `${u}-password`, groups: [], email: `${u}@${domain}` }])),
    usersFile: { search: { email: true, case_insensitive: true } },
    config: { regulation: { modes: ['user', 'ip'], max_retries: 3, find_time: '2m', ban_time: '5m' } },
  });
  /** Each case starts after every earlier ban has expired. */
  const freshWindow = (w: World) => w.clock.advance(10 * 60_000);

  it.each(['api', 'form', 'basic'] as const)('control (%s): the right password works, three failures spread over three hours ban nobody', async (via) => {
    const w = world();
    freshWindow(w);
    expect(await attempt(w, 'ann', 'ann-password', { ip: '192.0.2.10', via })).toBe(ok(via));
    for (let i = 0; i < 3; i++) {
      w.clock.advance(60 * 60_000);
      expect(await attempt(w, 'ann', 'wrong', { ip: '192.0.2.10', via })).toBe(401);
    }
    expect(await attempt(w, 'ann', 'ann-password', { ip: '192.0.2.10', via })).toBe(ok(via));
  });

  it.each(['api', 'form', 'basic'] as const)('one account from many addresses (%s): banned after three, from any address', async (via) => {
    const w = world();
    freshWindow(w);
    for (let i = 1; i <= 3; i++) expect(await attempt(w, 'ben', 'wrong', { ip: `198.51.100.${i}`, via })).toBe(401);
    expect(await attempt(w, 'ben', 'ben-password', { ip: '198.51.100.99', via })).toBe(401);
    // Another account from the same addresses is not affected.
    expect(await attempt(w, 'cat', 'cat-password', { ip: '198.51.100.1', via })).toBe(ok(via));
    w.clock.advance(5 * 60_000 + 1000);
    expect(await attempt(w, 'ben', 'ben-password', { ip: '198.51.100.99', via })).toBe(ok(via));
  });

  it.each(['api', 'form', 'basic'] as const)('many accounts from one address (%s): the address is banned after three, for every account', async (via) => {
    const w = world();
    freshWindow(w);
    const attacker = '203.0.113.50';
    for (const user of ['dan', 'eve', 'fay']) expect(await attempt(w, user, 'wrong', { ip: attacker, via })).toBe(401);
    expect(await attempt(w, 'gus', 'gus-password', { ip: attacker, via })).toBe(401);
    // gus from elsewhere is fine: it is the address that is banned, not gus.
    expect(await attempt(w, 'gus', 'gus-password', { ip: '203.0.113.51', via })).toBe(ok(via));
  });

  it('an untrusted peer rotating X-Forwarded-For is one address: banned after three accounts', async () => {
    const w = world();
    freshWindow(w);
    const peer = '203.0.113.77';
    for (const [i, user] of ['dan', 'eve', 'fay'].entries()) expect(await attempt(w, user, 'wrong', { peer, ip: `10.0.0.${i}` })).toBe(401);
    expect(await attempt(w, 'hal', 'hal-password', { peer, ip: '10.0.0.99' })).toBe(401);
    expect(await attempt(w, 'hal', 'hal-password', { peer: '203.0.113.78' })).toBe(200);
  });

  const spellings = ['ivy', 'IVY', 'Ivy', 'ivy@gatehouse.localhost', 'IVY@GATEHOUSE.LOCALHOST', ' ivy ', 'ivy\t'];

  it('every spelling of an account can sign in (the variants below are real ways in)', async () => {
    const w = world();
    freshWindow(w);
    for (const [i, login] of spellings.entries()) expect([login, await attempt(w, login, 'ivy-password', { ip: `192.0.2.${100 + i}` })]).toEqual([login, 200]);
  });

  it.each([
    ['username, e-mail, upper case', ['ivy', 'ivy@gatehouse.localhost', 'IVY']],
    ['e-mail in upper case, mixed case, padded', ['IVY@GATEHOUSE.LOCALHOST', 'Ivy', ' ivy ']],
  ])('failures spelt as %s share one counter: the account is banned for every spelling', async (_name, failures) => {
    const w = world();
    freshWindow(w);
    for (const [i, login] of failures.entries()) expect(await attempt(w, login, 'wrong', { ip: `198.51.100.${20 + i}` })).toBe(401);
    for (const [i, login] of spellings.entries()) {
      expect([login, await attempt(w, login, 'ivy-password', { ip: `198.51.100.${40 + i}` })]).toEqual([login, 401]);
    }
  });

  it('a ban made at the portal holds at forward-auth’s HTTP Basic for every spelling (CVE-2026-47203), and the reverse', async () => {
    const w = world();
    freshWindow(w);
    for (let i = 0; i < 3; i++) expect(await attempt(w, 'jon', 'wrong', { ip: `198.51.100.${60 + i}` })).toBe(401);
    for (const login of ['jon', 'JON', 'jon@gatehouse.localhost']) {
      expect([login, await attempt(w, login, 'jon-password', { ip: '198.51.100.70', via: 'basic' })]).toEqual([login, 401]);
    }
    freshWindow(w);
    for (let i = 0; i < 3; i++) expect(await attempt(w, 'JON@gatehouse.localhost', 'wrong', { ip: `198.51.100.${80 + i}`, via: 'basic' })).toBe(401);
    expect(await attempt(w, 'jon', 'jon-password', { ip: '198.51.100.90', via: 'form' })).toBe(401);
  });

  it('bans are logged with the canonical account and the client address', () => {
    const banned = world()
      .logs()
      .split('\n')
      .filter((l) => /\bban/i.test(l));
    expect(banned.length).toBeGreaterThan(0);
    expect(banned.join('\n')).not.toMatch(/"username":"IVY|"username":" ivy/);
  });
});

describe('password reset flooding: ASVS 2.5.6, 2.2.1; the CVE-2025-24806 class (one counter per account) applied to reset e-mails', () => {
  // The reset's own counts per account and per address; Authelia's rate limit in front of it (5 per
  // address, server.endpoints.rate_limits.reset_password_start) is off here and tested in test/portal/rate-limits.test.ts.
  const world = sharedWorld({
    domain,
    usersFile: { search: { email: true, case_insensitive: true } },
    config: { server: { address: 'tcp://127.0.0.1:0', endpoints: { rate_limits: { reset_password_start: { enable: false } } } } },
  });

  it('a flood for one account, spelt every way it can be found, sends at most three e-mails and answers every request alike', async () => {
    const w = world();
    const answers = new Set<string>();
    const spelt = ['john', 'john@gatehouse.localhost', 'JOHN', 'John@Gatehouse.Localhost', ' john '];
    for (const [i, username] of [...spelt, ...spelt].entries()) {
      const reply = await w.client().postForm('/reset-password', { username }, { 'x-forwarded-for': `192.0.2.${i + 1}` });
      answers.add(`${reply.status} ${reply.body.replaceAll(escapeHtml(username), '…').length}`);
    }
    expect(answers.size).toBe(1);
    await until(() => mails(w, 'john') >= 3, 'three reset e-mails');
    // Later e-mails would be written on later turns too: let the gateway settle, then count.
    await w.client().get('/api/health');
    expect(mails(w, 'john')).toBe(3);
  });

  it('a flood from one address across accounts is cut off after ten requests', async () => {
    const w = world();
    for (let i = 0; i < 15; i++) await w.client().postForm('/reset-password', { username: ['bob', 'harry'][i % 2]! }, { 'x-forwarded-for': '203.0.113.9' });
    // Three per account are reached before the address's limit of ten.
    await until(() => mails(w, 'bob') + mails(w, 'harry') >= 6, 'six reset e-mails');
    expect(w.logs()).toContain('password reset: too many requests from this IP');
    expect([mails(w, 'bob'), mails(w, 'harry')]).toEqual([3, 3]);
  });
});

/** Reset e-mails written for `user` so far. */
function mails(w: World, user: string): number {
  if (!existsSync(w.notifications)) return 0;
  return readFileSync(w.notifications, 'utf8')
    .split(/^Date:/m)
    .filter((m) => m.includes(`To: ${user}@`) && m.includes('Subject: Reset your password')).length;
}
