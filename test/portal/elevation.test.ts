import { describe, expect, it } from 'vitest';
import { auditLog } from '../../src/server/audit-log.js';
import { PortalClient, lastCode, startPortal, totpCode } from '../helpers/portal.js';

type World = Awaited<ReturnType<typeof startPortal>>;

/** The elevation rate limits (server.endpoints.rate_limits) off: these tests count wrong codes themselves. */
const unlimited = {
  server: {
    address: 'tcp://127.0.0.1:0',
    endpoints: { rate_limits: { session_elevation_start: { enable: false }, session_elevation_finish: { enable: false } } },
  },
};
const start = (overrides: Record<string, unknown> = {}) => startPortal({ ...unlimited, ...overrides });

const status = (client: PortalClient, headers: Record<string, string> = {}) => client.get('/api/user/session/elevation', headers);
const elevate = (client: PortalClient, otc: string) => client.sendJson('PUT', '/api/user/session/elevation', { otc });

async function signedIn(world: World, user = 'john', password = 'password'): Promise<PortalClient> {
  const client = new PortalClient(world.gateway);
  expect((await client.login(user, password)).status).toBe(200);
  return client;
}

/** Enrols an authenticator app for john through the elevation API; returns its secret. */
async function enrolTotp(world: World, client: PortalClient): Promise<string> {
  expect((await client.postJson('/api/user/session/elevation', {})).status).toBe(200);
  expect((await elevate(client, lastCode(world.notifications))).json()).toEqual({ status: 'OK' });
  const secret = (await client.sendJson('PUT', '/api/secondfactor/totp/register', {})).json().data.base32_secret as string;
  expect((await client.postJson('/api/secondfactor/totp/register', { token: totpCode(secret, world.clock) })).status).toBe(200);
  return secret;
}

describe('session elevation API (identity_validation.elevated_session)', () => {
  it("reports Authelia's fields, sends a code of `characters` characters, and elevates for elevation_lifespan", async () => {
    const world = await start({ identity_validation: { elevated_session: { characters: 12, elevation_lifespan: '2 minutes' } } });
    const client = await signedIn(world);
    expect((await status(client)).json()).toEqual({
      status: 'OK',
      data: { require_second_factor: false, skip_second_factor: false, can_skip_second_factor: false, factor_knowledge: true, elevated: false, expires: 0 },
    });
    const started = await client.postJson('/api/user/session/elevation', {});
    expect(started.json()).toEqual({ status: 'OK', data: { delete_id: expect.stringMatching(/^[\w-]+\.[\w-]{22}$/) } });
    const code = lastCode(world.notifications);
    expect(code).toMatch(/^[A-Z2-9]{12}$/);
    expect((await elevate(client, code.toLowerCase())).status).toBe(200);
    expect((await status(client)).json().data).toMatchObject({ elevated: true, expires: 120 });
    world.clock.advance(121_000);
    expect((await status(client)).json().data).toMatchObject({ elevated: false });
    // Expired: the guard refuses an enrolment again.
    expect((await client.sendJson('PUT', '/api/secondfactor/totp/register', {})).status).toBe(403);
    await world.gateway.close();
  });

  it('refuses a wrong code, an expired code, a reused code, and the code of another session', async () => {
    const world = await start({ identity_validation: { elevated_session: { code_lifespan: '1 minute' } } });
    const client = await signedIn(world);
    await client.postJson('/api/user/session/elevation', {});
    const code = lastCode(world.notifications);
    const wrong = await elevate(client, 'ABCDEFGH');
    expect(wrong.status).toBe(403);
    expect(wrong.json()).toEqual({ status: 'KO', message: 'That code is not right, or it has expired.' });
    // Another session of another user cannot use john's code.
    world.clock.advance(1000);
    const bob = await signedIn(world, 'bob', 'bobpassword');
    expect((await elevate(bob, code)).status).toBe(403);
    expect((await status(bob)).json().data.elevated).toBe(false);
    // Expired (code_lifespan 1 minute).
    world.clock.advance(60_000);
    expect((await elevate(client, code)).status).toBe(403);
    // A fresh code works once, not twice.
    await client.postJson('/api/user/session/elevation', {});
    const fresh = lastCode(world.notifications);
    expect((await elevate(client, fresh)).status).toBe(200);
    expect((await elevate(client, fresh)).status).toBe(403);
    await world.gateway.close();
  });

  it('counts wrong codes: after 5 the right one no longer works', async () => {
    const world = await start();
    const client = await signedIn(world);
    await client.postJson('/api/user/session/elevation', {});
    const code = lastCode(world.notifications);
    for (let i = 0; i < 5; i++) expect((await elevate(client, `WRONG${i}ABC`)).status).toBe(403);
    expect((await elevate(client, code)).status).toBe(403);
    await world.gateway.close();
  });

  it('voids an elevation used from another IP', async () => {
    const world = await start();
    const client = await signedIn(world);
    await client.postJson('/api/user/session/elevation', {});
    await elevate(client, lastCode(world.notifications));
    expect((await status(client, { 'x-forwarded-for': '192.0.2.9' })).json().data).toMatchObject({ elevated: false, expires: 0 });
    expect((await status(client)).json().data.elevated).toBe(false);
    await world.gateway.close();
  });

  it('revokes an unused code by its delete_id (once), and the code then fails', async () => {
    const world = await start();
    const client = await signedIn(world);
    const id = (await client.postJson('/api/user/session/elevation', {})).json().data.delete_id as string;
    const anonymous = new PortalClient(world.gateway);
    expect((await anonymous.sendJson('DELETE', `/api/user/session/elevation/${id.slice(0, -2)}AA`)).status).toBe(404);
    expect((await anonymous.sendJson('DELETE', `/api/user/session/elevation/${id}`)).json()).toEqual({ status: 'OK' });
    expect((await anonymous.sendJson('DELETE', `/api/user/session/elevation/${id}`)).status).toBe(404);
    expect((await elevate(client, lastCode(world.notifications))).status).toBe(403);
    await world.gateway.close();
  });

  it('require_second_factor (the default here): a one-factor session of a user with an app must use it first', async () => {
    const world = await start();
    const owner = await signedIn(world);
    const secret = await enrolTotp(world, owner);
    const thief = await signedIn(world);
    expect((await status(thief)).json().data).toMatchObject({ require_second_factor: true, can_skip_second_factor: false, factor_knowledge: true });
    await thief.postJson('/api/user/session/elevation', {});
    expect((await elevate(thief, lastCode(world.notifications))).status).toBe(200);
    const refused = await thief.sendJson('PUT', '/api/secondfactor/totp/register', {});
    expect(refused.status).toBe(403);
    expect(refused.json().message).toMatch(/already have a second factor/);
    world.clock.advance(30_000);
    expect((await thief.postJson('/api/secondfactor/totp', { token: totpCode(secret, world.clock) })).status).toBe(200);
    expect((await thief.sendJson('PUT', '/api/secondfactor/totp/register', {})).status).toBe(200);
    await world.gateway.close();
  });

  it('require_second_factor: false lets the e-mailed code alone elevate a one-factor session', async () => {
    const world = await start({ identity_validation: { elevated_session: { require_second_factor: false, skip_second_factor: true } } });
    const owner = await signedIn(world);
    await enrolTotp(world, owner);
    const other = await signedIn(world);
    expect((await status(other)).json().data).toMatchObject({ require_second_factor: false, can_skip_second_factor: true });
    expect((await other.sendJson('PUT', '/api/secondfactor/totp/register', {})).status).toBe(403);
    await other.postJson('/api/user/session/elevation', {});
    expect((await elevate(other, lastCode(world.notifications))).status).toBe(200);
    expect((await other.sendJson('PUT', '/api/secondfactor/totp/register', {})).status).toBe(200);
    await world.gateway.close();
  });

  it('skip_second_factor: a two-factor session needs no code; without it, it does', async () => {
    for (const skip of [true, false]) {
      const world = await start({ identity_validation: { elevated_session: { skip_second_factor: skip } } });
      const setup = await signedIn(world);
      const secret = await enrolTotp(world, setup);
      world.clock.advance(30_000);
      const client = await signedIn(world);
      expect((await client.postJson('/api/secondfactor/totp', { token: totpCode(secret, world.clock) })).status).toBe(200);
      expect((await status(client)).json().data).toMatchObject({ skip_second_factor: skip, elevated: false });
      expect((await client.sendJson('PUT', '/api/secondfactor/totp/register', {})).status).toBe(skip ? 200 : 403);
      await world.gateway.close();
    }
  });

  it('the form pages still work: /2fa/enroll/start e-mails the code, /verify elevates and shows the secret', async () => {
    const world = await start();
    const client = await signedIn(world);
    const sent = await client.postForm('/2fa/enroll/start', {});
    expect(sent.status).toBe(200);
    expect(sent.body).toContain('We sent a one-time code to <strong>j•••@gatehouse.localhost</strong>');
    expect((await client.postForm('/2fa/enroll/verify', { code: 'WRONGCOD' })).status).toBe(401);
    const verified = await client.postForm('/2fa/enroll/verify', { code: lastCode(world.notifications) });
    expect(verified.status).toBe(303);
    expect((await client.get('/2fa/enroll')).body).toContain('id="secret"');
    await world.gateway.close();
  });

  it('anonymous sessions get 401', async () => {
    const world = await start();
    expect((await status(new PortalClient(world.gateway))).status).toBe(401);
    expect((await new PortalClient(world.gateway).postJson('/api/user/session/elevation', {})).status).toBe(401);
    expect((await elevate(new PortalClient(world.gateway), 'ABCDEFGH')).status).toBe(401);
    await world.gateway.close();
  });

  it('the audit line of an elevation step names user, IP and step, never a code', () => {
    const lines: [object, string][] = [];
    const write = auditLog({ info: (fields, message) => lines.push([fields, message]) });
    write({ event: 'elevation', action: 'failed', username: 'john', ip: '192.0.2.7' });
    expect(lines).toEqual([[{ audit: 'elevation', action: 'failed', username: 'john', ip: '192.0.2.7' }, 'session elevation failed']]);
  });
});
