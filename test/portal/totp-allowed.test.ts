import { join } from 'node:path';
import { TOTP } from 'otpauth';
import { describe, expect, it } from 'vitest';
import type { ManualClock } from '../../src/shared/clock.js';
import { PortalClient, lastCode, startPortal } from '../helpers/portal.js';

const allowed = { totp: { allowed_algorithms: ['SHA256'], allowed_digits: [8], allowed_periods: [60] } };

function codeOf(secret: string, clock: ManualClock, settings: { algorithm: string; digits: number; period: number }): string {
  return new TOTP({ secret, ...settings }).generate({ timestamp: clock.now() });
}

async function elevated(world: Awaited<ReturnType<typeof startPortal>>): Promise<PortalClient> {
  const client = new PortalClient(world.gateway);
  expect((await client.login()).status).toBe(200);
  await client.postJson('/api/user/session/elevation', {});
  expect((await client.sendJson('PUT', '/api/user/session/elevation', { otc: lastCode(world.notifications) })).status).toBe(200);
  return client;
}

describe('totp.allowed_{algorithms,digits,periods}', () => {
  it('offers the allowed values (configured first), enrols with SHA256 / 8 digits / 60 s, and signs in with them', async () => {
    const world = await startPortal(allowed);
    const client = await elevated(world);
    expect((await client.get('/api/secondfactor/totp/register')).json()).toEqual({
      status: 'OK',
      data: { algorithm: 'SHA1', algorithms: ['SHA1', 'SHA256'], length: 6, lengths: [6, 8], period: 30, periods: [30, 60] },
    });
    const put = await client.sendJson('PUT', '/api/secondfactor/totp/register', { algorithm: 'SHA256', length: 8, period: 60 });
    const { base32_secret: secret, otpauth_url: uri } = put.json().data as { base32_secret: string; otpauth_url: string };
    expect(uri).toMatch(/algorithm=SHA256&digits=8&period=60/);
    const settings = { algorithm: 'SHA256', digits: 8, period: 60 };
    // A code of the configured settings (SHA1, 6 digits) does not confirm it; one of the chosen does.
    expect((await client.postJson('/api/secondfactor/totp/register', { token: '123456' })).status).toBe(401);
    expect((await client.postJson('/api/secondfactor/totp/register', { token: codeOf(secret, world.clock, settings) })).status).toBe(200);
    expect(await world.gateway.storage.totp.get('john')).toMatchObject(settings);

    world.clock.advance(60_000);
    const next = new PortalClient(world.gateway);
    await next.login();
    const token = codeOf(secret, world.clock, settings);
    expect(token).toHaveLength(8);
    expect((await next.postJson('/api/secondfactor/totp', { token })).status).toBe(200);
    expect((await next.get('/api/state')).json().data.authentication_level).toBe(2);
    await world.gateway.close();
  });

  it('refuses a value outside the allowed lists', async () => {
    const world = await startPortal(allowed);
    const client = await elevated(world);
    for (const choice of [{ algorithm: 'SHA512' }, { length: 7 }, { period: 45 }]) {
      const reply = await client.sendJson('PUT', '/api/secondfactor/totp/register', choice);
      expect(reply.status).toBe(400);
      expect(reply.json().message).toMatch(/among those offered/);
    }
    expect((await client.postForm('/2fa/enroll/options', { algorithm: 'SHA512' })).status).toBe(400);
    await world.gateway.close();
  });

  it('the enrolment page shows the choice only when there is one, and its form makes a key with the chosen settings', async () => {
    const plain = await startPortal();
    const one = await elevated(plain);
    await one.sendJson('PUT', '/api/secondfactor/totp/register', {});
    expect((await one.get('/2fa/enroll')).body).not.toContain('/2fa/enroll/options');
    await plain.gateway.close();

    const world = await startPortal(allowed);
    const client = await elevated(world);
    await client.sendJson('PUT', '/api/secondfactor/totp/register', {});
    const page = (await client.get('/2fa/enroll')).body;
    expect(page).toContain('action="/2fa/enroll/options"');
    expect(page).toContain('<option value="SHA256">SHA256</option>');
    expect((await client.postForm('/2fa/enroll/options', { algorithm: 'SHA256', digits: '8', period: '60' })).status).toBe(303);
    const chosen = (await client.get('/2fa/enroll')).body;
    expect(chosen).toContain('<option value="SHA256" selected>');
    const refused = await client.postForm('/2fa/enroll/options', { digits: '7' });
    expect(refused.status).toBe(400);
    await world.gateway.close();
  });

  it('keeps an enrolment made before allowed_* changed working with its stored settings', async () => {
    const world = await startPortal(allowed);
    const client = await elevated(world);
    const secret = (await client.sendJson('PUT', '/api/secondfactor/totp/register', { algorithm: 'SHA256', length: 8, period: 60 })).json().data.base32_secret;
    const settings = { algorithm: 'SHA256', digits: 8, period: 60 };
    expect((await client.postJson('/api/secondfactor/totp/register', { token: codeOf(secret, world.clock, settings) })).status).toBe(200);
    await world.gateway.close();
    // The same database under a configuration that no longer allows those settings.
    const later = await startPortal({ storage: { encryption_key: 'a-very-long-test-encryption-key', local: { path: join(world.dir, 'db.sqlite3') } } });
    later.clock.advance(120_000);
    const next = new PortalClient(later.gateway);
    await next.login();
    expect((await next.postJson('/api/secondfactor/totp', { token: codeOf(secret, later.clock, settings) })).status).toBe(200);
    await later.gateway.close();
  });
});
