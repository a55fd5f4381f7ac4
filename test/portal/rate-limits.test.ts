import { describe, expect, it } from 'vitest';
import { RateLimiter, maxClients } from '../../src/portal/rate-limit.js';
import { ManualClock } from '../../src/shared/clock.js';
import { injectListener } from '../helpers/gateway.js';
import { PortalClient, portalHost, startPortal } from '../helpers/portal.js';

const limited = (rateLimits: Record<string, unknown>) => ({ server: { address: 'tcp://127.0.0.1:0', endpoints: { rate_limits: rateLimits } } });

describe('server.endpoints.rate_limits through the listener (issue 17, item 3)', () => {
  it('answers 429 with Retry-After and the KO body once a bucket is empty, per client IP, and recovers after the period', async () => {
    const { gateway, clock } = await startPortal(limited({ second_factor_totp: { buckets: [{ period: '1 minute', requests: 3 }] } }));
    const client = new PortalClient(gateway);
    expect((await client.login()).status).toBe(200);
    for (let i = 0; i < 3; i++) expect((await client.postJson('/api/secondfactor/totp', { token: '000000' })).status).not.toBe(429);
    const refused = await client.postJson('/api/secondfactor/totp', { token: '000000' });
    expect([refused.status, refused.headers['retry-after'], refused.json()]).toEqual([429, '60', { status: 'KO', message: 'Too Many Requests' }]);
    // The form route shares the group's limiter: no way around it.
    expect((await client.postForm('/2fa', { token: '000000' })).status).toBe(429);
    // Another client address has its own buckets.
    const other = await injectListener(gateway, {
      method: 'POST',
      url: '/api/secondfactor/totp',
      remoteAddress: '192.0.2.7',
      headers: { host: portalHost, origin: `http://${portalHost}`, 'sec-fetch-site': 'same-origin', 'content-type': 'application/json' },
      payload: JSON.stringify({ token: '000000' }),
    });
    expect(other.statusCode).not.toBe(429);
    clock.advance(59_000);
    const still = await client.postJson('/api/secondfactor/totp', { token: '000000' });
    expect([still.status, still.headers['retry-after']]).toEqual([429, '1']);
    clock.advance(1_000);
    expect((await client.postJson('/api/secondfactor/totp', { token: '000000' })).status).not.toBe(429);
    expect((await client.postJson('/api/secondfactor/totp', { token: '000000' })).status).toBe(429);
  });

  it("limits the password reset start by Authelia's default buckets (5 at once), and not at all with enable: false", async () => {
    const on = await startPortal();
    const client = new PortalClient(on.gateway);
    for (let i = 0; i < 5; i++) expect((await client.postJson('/api/reset-password/identity/start', { username: 'nobody' })).status).not.toBe(429);
    const refused = await client.postJson('/api/reset-password/identity/start', { username: 'nobody' });
    expect([refused.status, refused.headers['retry-after']]).toEqual([429, '600']);
    const off = await startPortal(limited({ reset_password_start: { enable: false } }));
    const free = new PortalClient(off.gateway);
    for (let i = 0; i < 6; i++) expect((await free.postJson('/api/reset-password/identity/start', { username: 'nobody' })).status).not.toBe(429);
  });

  it('limits the identity-check code e-mails (session_elevation_start) on every route that sends one', async () => {
    const { gateway } = await startPortal(limited({ session_elevation_start: { buckets: [{ period: '10 minutes', requests: 1 }] } }));
    const client = new PortalClient(gateway);
    await client.login();
    expect((await client.postJson('/api/secondfactor/totp/identity/start', {})).status).not.toBe(429);
    expect((await client.postJson('/api/secondfactor/webauthn/identity/start', {})).status).toBe(429);
    expect((await client.postJson('/api/change-password/identity/start', {})).status).toBe(429);
  });
});

describe('RateLimiter', () => {
  it("is a token bucket per address, as Authelia's: requests at once, then one per period; every bucket is charged", () => {
    const clock = new ManualClock(0);
    const limiter = new RateLimiter(
      [
        { period: 10_000, requests: 2 },
        { period: 60_000, requests: 3 },
      ],
      clock,
    );
    // The third request is refused by the first bucket, and still spends the second's last token (as Authelia's limiter does).
    expect([limiter.take('a'), limiter.take('a'), limiter.take('a')]).toEqual([0, 0, 10_000]);
    clock.advance(10_000);
    expect(limiter.take('a')).toBe(50_000);
    expect(limiter.take('b')).toBe(0);
    clock.advance(50_000);
    expect([limiter.take('a'), limiter.take('a')]).toEqual([0, 60_000]);
  });

  it(`remembers at most ${maxClients} addresses, dropping those whose buckets are full again first`, () => {
    const clock = new ManualClock(0);
    const limiter = new RateLimiter([{ period: 10_000, requests: 1 }], clock);
    for (let i = 0; i < maxClients; i++) limiter.take(`10.0.${i >> 8}.${i & 255}`);
    expect(limiter.size).toBe(maxClients);
    clock.advance(10_000);
    limiter.take('192.0.2.1');
    expect(limiter.size).toBe(1);
  });
});
