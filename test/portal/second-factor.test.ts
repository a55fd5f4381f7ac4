import { describe, expect, it } from 'vitest';
import { PortalClient, lastCode, startPortal, totpCode } from '../helpers/portal.js';

async function enrol(world: Awaited<ReturnType<typeof startPortal>>, client: PortalClient): Promise<string> {
  expect((await client.postJson('/api/secondfactor/totp/identity/start', {})).json()).toEqual({
    status: 'OK',
    data: { sentTo: 'j•••@gatehouse.localhost', delete_id: expect.any(String) },
  });
  const finish = await client.postJson('/api/secondfactor/totp/identity/finish', { code: lastCode(world.notifications) });
  expect(finish.status).toBe(200);
  const { secret, uri } = finish.json().data as { secret: string; uri: string };
  expect(uri).toMatch(/^otpauth:\/\/totp\/.*secret=/);
  const register = await client.postJson('/api/secondfactor/totp/register', { token: totpCode(secret, world.clock) });
  expect(register.json()).toEqual({ status: 'OK' });
  return secret;
}

describe('TOTP enrolment', () => {
  it('needs an e-mailed identity code, then a valid code from the new app, and reaches level 2', async () => {
    const world = await startPortal();
    const client = new PortalClient(world.gateway);
    await client.login();
    await enrol(world, client);
    const state = (await client.get('/api/state')).json().data;
    expect(state.authentication_level).toBe(2);
    const info = (await client.get('/api/user/info')).json().data;
    expect(info).toMatchObject({ display_name: 'John <Doe>', has_totp: true, emails: ['john.doe@gatehouse.localhost'] });
  });

  it('refuses a wrong or reused identity code, and anonymous users', async () => {
    const world = await startPortal();
    const anonymous = new PortalClient(world.gateway);
    expect((await anonymous.postJson('/api/secondfactor/totp/identity/start', {})).status).toBe(401);
    const client = new PortalClient(world.gateway);
    await client.login();
    await client.postJson('/api/secondfactor/totp/identity/start', {});
    expect((await client.postJson('/api/secondfactor/totp/identity/finish', { code: 'WRONG123' })).status).toBe(401);
    const code = lastCode(world.notifications);
    expect((await client.postJson('/api/secondfactor/totp/identity/finish', { code })).status).toBe(200);
    expect((await client.postJson('/api/secondfactor/totp/identity/finish', { code })).status).toBe(401);
  });

  it('refuses to register without the identity check, and with a wrong code', async () => {
    const world = await startPortal();
    const client = new PortalClient(world.gateway);
    await client.login();
    expect((await client.postJson('/api/secondfactor/totp/register', { token: '123456' })).status).toBe(403);
    await client.postJson('/api/secondfactor/totp/identity/start', {});
    await client.postJson('/api/secondfactor/totp/identity/finish', { code: lastCode(world.notifications) });
    expect((await client.postJson('/api/secondfactor/totp/register', { token: '000000' })).status).toBe(401);
    expect((await client.get('/api/state')).json().data.authentication_level).toBe(1);
  });

  it('does not let a password alone replace an existing authenticator', async () => {
    const world = await startPortal();
    const owner = new PortalClient(world.gateway);
    await owner.login();
    await enrol(world, owner);
    const thief = new PortalClient(world.gateway);
    await thief.login();
    const reply = await thief.postJson('/api/secondfactor/totp/identity/start', {});
    expect(reply.status).toBe(403);
  });

  it('explains that a user without an e-mail address cannot enrol alone', async () => {
    const world = await startPortal();
    const client = new PortalClient(world.gateway);
    await client.login('bob', 'bobpassword');
    const reply = await client.postJson('/api/secondfactor/totp/identity/start', {});
    expect(reply.status).toBe(409);
    expect(reply.json().message).toMatch(/no e-mail address/);
  });

  it('keeps the pending secret encrypted in the session store', async () => {
    const world = await startPortal();
    const client = new PortalClient(world.gateway);
    await client.login();
    await client.postJson('/api/secondfactor/totp/identity/start', {});
    const { secret } = (await client.postJson('/api/secondfactor/totp/identity/finish', { code: lastCode(world.notifications) })).json().data;
    const db = (world.gateway.storage as unknown as { db: import('better-sqlite3').Database }).db;
    expect(JSON.stringify(db.prepare('SELECT data FROM sessions').all())).not.toContain(secret);
  });
});

describe('POST /api/secondfactor/totp', () => {
  it('accepts a valid code once, refuses its replay, and reaches level 2 with amr pwd+otp', async () => {
    const world = await startPortal();
    const setup = new PortalClient(world.gateway);
    await setup.login();
    const secret = await enrol(world, setup);
    world.clock.advance(30_000);
    const client = new PortalClient(world.gateway);
    await client.login('john', 'password', { targetURL: 'http://secure.gatehouse.localhost/x' });
    const before = client.cookie;
    const code = totpCode(secret, world.clock);
    const ok = await client.postJson('/api/secondfactor/totp', { token: code, targetURL: 'http://secure.gatehouse.localhost/x' });
    expect(ok.json()).toEqual({ status: 'OK', data: { redirect: 'http://secure.gatehouse.localhost/x' } });
    expect(client.cookie).not.toBe(before);
    expect((await client.get('/api/state')).json().data.authentication_level).toBe(2);
    const session = await world.gateway.sessions.load(world.config.session.cookies[0]!, client.cookie!.split('=')[1]);
    expect(session?.state.amr).toEqual(['pwd', 'otp']);

    const other = new PortalClient(world.gateway);
    await other.login();
    const replay = await other.postJson('/api/secondfactor/totp', { token: code });
    expect(replay.status).toBe(401);
    expect(replay.json().message).toBe('Authentication failed. Check your credentials.');
  });

  it('needs a first factor first', async () => {
    const world = await startPortal();
    const reply = await new PortalClient(world.gateway).postJson('/api/secondfactor/totp', { token: '123456' });
    expect([reply.status, reply.json().message]).toEqual([401, 'You are not signed in.']);
  });

  it('rate-limits guessing: after 5 wrong codes even the right one is refused for a while', async () => {
    const world = await startPortal();
    const setup = new PortalClient(world.gateway);
    await setup.login();
    const secret = await enrol(world, setup);
    world.clock.advance(30_000);
    const client = new PortalClient(world.gateway);
    await client.login();
    for (let i = 0; i < 5; i++) expect((await client.postJson('/api/secondfactor/totp', { token: `00000${i}` })).status).toBe(401);
    expect((await client.postJson('/api/secondfactor/totp', { token: totpCode(secret, world.clock) })).status).toBe(401);
    world.clock.advance(5 * 60_000);
    await client.login();
    expect((await client.postJson('/api/secondfactor/totp', { token: totpCode(secret, world.clock) })).status).toBe(200);
  });
});
