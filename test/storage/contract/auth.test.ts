import { describe, expect, it } from 'vitest';
import type { TotpConfiguration } from '../../../src/storage/storage.js';
import { storageBackends, useBackend } from './backends.js';

const attempt = { successful: false, banned: false, username: 'john', authType: '1FA', remoteIp: '192.0.2.1', requestUri: '/', requestMethod: 'POST' };
const totpKey = (over: Partial<TotpConfiguration> = {}): TotpConfiguration => ({
  username: 'john',
  issuer: 'Gatehouse',
  algorithm: 'SHA1',
  digits: 6,
  period: 30,
  secret: Buffer.from('12345678901234567890'),
  createdAt: 1000,
  lastUsedAt: undefined,
  ...over,
});

describe.each(storageBackends)('authentication logs and bans ($name)', (backend) => {
  const db = useBackend(backend);

  it('reads recent attempts newest first, after `since`, without banned ones, limited', async () => {
    const { authLogs } = await db.open();
    for (const [time, over] of [
      [100, {}],
      [200, { banned: true }],
      [300, { authType: 'TOTP' }],
      [400, { successful: true }],
      [500, {}],
    ] as const) {
      await authLogs.append({ ...attempt, ...over, time });
    }
    expect((await authLogs.recentByUser('john', '1FA', 100, 10)).map((a) => a.time)).toEqual([500, 400]);
    expect(await authLogs.recentByUser('john', '1FA', 0, 2)).toEqual([
      { ...attempt, time: 500 },
      { ...attempt, time: 400, successful: true },
    ]);
    expect((await authLogs.recentByIp('192.0.2.1', 'TOTP', 0, 10)).map((a) => a.time)).toEqual([300]);
    expect(await authLogs.recentByIp('192.0.2.2', '1FA', 0, 10)).toEqual([]);
  });

  it('orders attempts of the same millisecond by arrival', async () => {
    const { authLogs } = await db.open();
    await authLogs.append({ ...attempt, time: 100, requestUri: '/first' });
    await authLogs.append({ ...attempt, time: 100, requestUri: '/second' });
    expect((await authLogs.recentByUser('john', '1FA', 0, 10)).map((a) => a.requestUri)).toEqual(['/second', '/first']);
  });

  it('returns the active ban that ends last; expired and revoked bans are inactive', async () => {
    const { bans } = await db.open();
    await bans.banUser('john', { time: 0, expires: 100, source: 'regulation', reason: 'r' });
    await bans.banUser('john', { time: 0, expires: 300, source: 'regulation', reason: 'r' });
    expect((await bans.activeUserBan('john', 50))?.expires).toBe(300);
    expect(await bans.activeUserBan('john', 300)).toBeUndefined();
    await bans.banIp('::1', { time: 0, expires: undefined, source: 'cli', reason: 'manual' });
    expect(await bans.activeIpBan('::1', 10 ** 12)).toMatchObject({ time: 0, expires: undefined, revoked: false, source: 'cli', reason: 'manual' });
    expect(await bans.revokeIp('::1', 0)).toBe(1);
    expect(await bans.activeIpBan('::1', 0)).toBeUndefined();
    expect(await bans.revokeIp('::1', 0)).toBe(0);
  });

  it('prefers a permanent ban, and revokes only active bans of that user', async () => {
    const { bans } = await db.open();
    await bans.banUser('john', { time: 0, expires: 10, source: 'regulation', reason: 'old' });
    await bans.banUser('john', { time: 0, expires: 900, source: 'regulation', reason: 'timed' });
    await bans.banUser('john', { time: 0, expires: undefined, source: 'cli', reason: 'forever' });
    await bans.banUser('bob', { time: 0, expires: 900, source: 'regulation', reason: 'r' });
    expect((await bans.activeUserBan('john', 50))?.reason).toBe('forever');
    expect(await bans.revokeUser('john', 50)).toBe(2);
    expect(await bans.activeUserBan('john', 50)).toBeUndefined();
    expect(await bans.activeUserBan('bob', 50)).toMatchObject({ expires: 900 });
    // A user ban does not ban an IP of the same text, and the other way round.
    await bans.banIp('john', { time: 0, expires: undefined, source: 'cli', reason: 'ip' });
    expect(await bans.activeUserBan('john', 50)).toBeUndefined();
  });
});

describe.each(storageBackends)('TOTP keys and one-time codes ($name)', (backend) => {
  const db = useBackend(backend);

  it('saves, replaces, reads and deletes a TOTP key, its secret encrypted', async () => {
    const { totp } = await db.open();
    expect(await totp.get('john')).toBeUndefined();
    await totp.save(totpKey());
    expect(await totp.get('john')).toEqual(totpKey());
    await totp.save(totpKey({ algorithm: 'SHA512', digits: 8, period: 60, secret: Buffer.from('another-secret'), createdAt: 2000, lastUsedAt: 5 }));
    expect(await totp.get('john')).toEqual(
      totpKey({ algorithm: 'SHA512', digits: 8, period: 60, secret: Buffer.from('another-secret'), createdAt: 2000, lastUsedAt: 5 }),
    );
    await totp.markUsed('john', 3000);
    expect((await totp.get('john'))?.lastUsedAt).toBe(3000);
    expect(await totp.delete('john')).toBe(true);
    expect(await totp.delete('john')).toBe(false);
    expect(await totp.get('john')).toBeUndefined();
  });

  it('records each TOTP step once per user and purges old steps', async () => {
    const { totp } = await db.open();
    expect(await totp.recordStep('john', 42, 1000)).toBe(true);
    expect(await totp.recordStep('john', 42, 2000)).toBe(false);
    expect(await totp.recordStep('harry', 42, 2000)).toBe(true);
    expect(await totp.purgeHistory(1500)).toBe(1);
    expect(await totp.recordStep('john', 42, 3000)).toBe(true);
  });

  it('accepts a TOTP step once when two instances record it at the same moment', async () => {
    const store = await db.store();
    const [a, b] = [await store.open(), await store.open()];
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => (i % 2 ? a : b).totp.recordStep('john', 7, 1000)));
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it('consumes a one-time code once, and revokes it after too many failures', async () => {
    const { oneTimeCodes } = await db.open();
    const code = { username: 'john', intent: 'i', codeHash: Buffer.from('h'), issuedAt: 0, expiresAt: 100 };
    const id = await oneTimeCodes.insert(code);
    expect(await oneTimeCodes.active('john', 'i', 99)).toEqual([{ ...code, id, attempts: 0 }]);
    expect(await oneTimeCodes.active('john', 'i', 100)).toEqual([]);
    expect(await oneTimeCodes.consume(id, 50)).toBe(true);
    expect(await oneTimeCodes.consume(id, 50)).toBe(false);
    const other = await oneTimeCodes.insert(code);
    expect(other).not.toBe(id);
    await oneTimeCodes.recordFailure(other, 2, 10);
    expect((await oneTimeCodes.active('john', 'i', 10))[0]?.attempts).toBe(1);
    await oneTimeCodes.recordFailure(other, 2, 10);
    expect(await oneTimeCodes.active('john', 'i', 10)).toEqual([]);
    expect(await oneTimeCodes.consume(other, 10)).toBe(false);
  });

  it('lists active codes newest first and revokes them by user and intent', async () => {
    const { oneTimeCodes } = await db.open();
    const code = (issuedAt: number, intent = 'reset') =>
      oneTimeCodes.insert({ username: 'john', intent, codeHash: Buffer.from([issuedAt]), issuedAt, expiresAt: 1000 });
    const first = await code(1);
    const second = await code(2);
    await code(3, 'other');
    expect((await oneTimeCodes.active('john', 'reset', 10)).map((c) => c.id)).toEqual([second, first]);
    expect(await oneTimeCodes.revokeActive('john', 'reset', 10)).toBe(2);
    expect(await oneTimeCodes.active('john', 'reset', 10)).toEqual([]);
    expect(await oneTimeCodes.active('john', 'other', 10)).toHaveLength(1);
  });
});
