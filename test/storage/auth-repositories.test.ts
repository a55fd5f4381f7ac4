import { describe, expect, it } from 'vitest';
import { memoryStorage } from '../helpers/storage.js';

describe('authentication repositories (SQLite)', () => {
  it('creates the authentication tables', () => {
    const storage = memoryStorage();
    const tables = storage.db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all();
    expect(tables.map((t) => (t as { name: string }).name)).toEqual(
      expect.arrayContaining(['authentication_logs', 'banned_ip', 'banned_user', 'one_time_code', 'totp_configurations', 'totp_history']),
    );
  });

  it('reads recent attempts newest first, after `since`, without banned ones, limited', async () => {
    const { authLogs } = memoryStorage();
    const attempt = { successful: false, banned: false, username: 'john', authType: '1FA', remoteIp: '192.0.2.1', requestUri: '/', requestMethod: 'POST' };
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
    expect((await authLogs.recentByUser('john', '1FA', 0, 2)).map((a) => [a.time, a.successful])).toEqual([
      [500, false],
      [400, true],
    ]);
    expect((await authLogs.recentByIp('192.0.2.1', 'TOTP', 0, 10)).map((a) => a.time)).toEqual([300]);
    expect(await authLogs.recentByIp('192.0.2.2', '1FA', 0, 10)).toEqual([]);
  });

  it('returns the active ban that ends last; expired and revoked bans are inactive', async () => {
    const { bans } = memoryStorage();
    await bans.banUser('john', { time: 0, expires: 100, source: 'regulation', reason: 'r' });
    await bans.banUser('john', { time: 0, expires: 300, source: 'regulation', reason: 'r' });
    expect((await bans.activeUserBan('john', 50))?.expires).toBe(300);
    expect(await bans.activeUserBan('john', 300)).toBeUndefined();
    await bans.banIp('::1', { time: 0, expires: undefined, source: 'cli', reason: 'manual' });
    expect(await bans.activeIpBan('::1', 10 ** 12)).toMatchObject({ expires: undefined, revoked: false, source: 'cli', reason: 'manual' });
    expect(await bans.revokeIp('::1', 0)).toBe(1);
    expect(await bans.activeIpBan('::1', 0)).toBeUndefined();
  });

  it('records each TOTP step once per user and purges old steps', async () => {
    const { totp } = memoryStorage();
    expect(await totp.recordStep('john', 42, 1000)).toBe(true);
    expect(await totp.recordStep('john', 42, 2000)).toBe(false);
    expect(await totp.recordStep('harry', 42, 2000)).toBe(true);
    expect(await totp.purgeHistory(1500)).toBe(1);
    expect(await totp.recordStep('john', 42, 3000)).toBe(true);
  });

  it('consumes a one-time code once, and revokes it after too many failures', async () => {
    const { oneTimeCodes } = memoryStorage();
    const code = { username: 'john', intent: 'i', codeHash: Buffer.from('h'), issuedAt: 0, expiresAt: 100 };
    const id = await oneTimeCodes.insert(code);
    expect((await oneTimeCodes.active('john', 'i', 99)).map((c) => c.id)).toEqual([id]);
    expect(await oneTimeCodes.active('john', 'i', 100)).toEqual([]);
    expect(await oneTimeCodes.consume(id, 50)).toBe(true);
    expect(await oneTimeCodes.consume(id, 50)).toBe(false);
    const other = await oneTimeCodes.insert(code);
    await oneTimeCodes.recordFailure(other, 2, 10);
    expect((await oneTimeCodes.active('john', 'i', 10))[0]?.attempts).toBe(1);
    await oneTimeCodes.recordFailure(other, 2, 10);
    expect(await oneTimeCodes.active('john', 'i', 10)).toEqual([]);
  });
});
