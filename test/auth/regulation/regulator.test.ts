import { describe, expect, it } from 'vitest';
import { type Attempt, Regulator } from '../../../src/auth/regulation/regulator.js';
import type { RegulationConfig } from '../../../src/config/regulation.js';
import { ManualClock } from '../../../src/shared/clock.js';
import { memoryStorage } from '../../helpers/storage.js';

const minute = 60_000;
const defaults: RegulationConfig = { modes: ['user'], maxRetries: 3, findTime: 2 * minute, banTime: 5 * minute };

function setup(config: Partial<RegulationConfig> = {}) {
  const clock = new ManualClock();
  const storage = memoryStorage(clock);
  const regulator = new Regulator({ config: { ...defaults, ...config }, storage, clock });
  const attempt = (successful: boolean, over: Partial<Attempt> = {}) =>
    regulator.record({
      username: 'john',
      ip: '192.0.2.1',
      successful,
      kind: '1fa',
      requestMethod: 'POST',
      requestUri: 'https://auth.example.com/api/firstfactor',
      banned: false,
      ...over,
    });
  return { clock, storage, regulator, attempt };
}

describe('Regulator', () => {
  it('logs every attempt in authentication_logs', async () => {
    const { storage, attempt, clock } = setup();
    await attempt(false);
    clock.advance(1000);
    await attempt(true, { kind: '2fa-totp', requestUri: '/api/secondfactor/totp' });
    const rows = storage.db
      .prepare('SELECT time, successful, banned, username, auth_type, remote_ip, request_uri, request_method FROM authentication_logs ORDER BY id')
      .all();
    expect(rows).toEqual([
      {
        time: clock.now() - 1000,
        successful: 0,
        banned: 0,
        username: 'john',
        auth_type: '1FA',
        remote_ip: '192.0.2.1',
        request_uri: 'https://auth.example.com/api/firstfactor',
        request_method: 'POST',
      },
      {
        time: clock.now(),
        successful: 1,
        banned: 0,
        username: 'john',
        auth_type: 'TOTP',
        remote_ip: '192.0.2.1',
        request_uri: '/api/secondfactor/totp',
        request_method: 'POST',
      },
    ]);
  });

  it('bans the user after max_retries failures until the newest failure + ban_time', async () => {
    const { regulator, attempt, clock } = setup();
    await attempt(false);
    clock.advance(10_000);
    await attempt(false);
    expect(await regulator.check('john', '192.0.2.1')).toEqual({ banned: false });
    clock.advance(10_000);
    await attempt(false);
    const newestFailure = clock.now();
    expect(await regulator.check('john', '192.0.2.9')).toEqual({ banned: true, until: newestFailure + 5 * minute });
    expect(await regulator.check('harry', '192.0.2.1')).toEqual({ banned: false });
    clock.set(newestFailure + 5 * minute - 1);
    expect((await regulator.check('john', '192.0.2.1')).banned).toBe(true);
    clock.set(newestFailure + 5 * minute);
    expect(await regulator.check('john', '192.0.2.1')).toEqual({ banned: false });
  });

  it('a banned user stays banned even when the right password is then given', async () => {
    const { regulator, attempt } = setup();
    for (let i = 0; i < 3; i++) await attempt(false);
    await attempt(true, { banned: true });
    await attempt(true);
    expect((await regulator.check('john', '192.0.2.1')).banned).toBe(true);
  });

  it('stops counting at the newest success', async () => {
    const { regulator, attempt } = setup();
    await attempt(false);
    await attempt(false);
    await attempt(true);
    await attempt(false);
    await attempt(false);
    expect((await regulator.check('john', '192.0.2.1')).banned).toBe(false);
    await attempt(false);
    expect((await regulator.check('john', '192.0.2.1')).banned).toBe(true);
  });

  it('forgets failures older than find_time', async () => {
    const { regulator, attempt, clock } = setup();
    await attempt(false);
    await attempt(false);
    clock.advance(2 * minute);
    await attempt(false);
    expect((await regulator.check('john', '192.0.2.1')).banned).toBe(false);
  });

  it('ignores banned attempts and second-factor failures when counting', async () => {
    const { regulator, attempt } = setup();
    await attempt(false, { kind: '2fa-totp' });
    await attempt(false, { kind: '2fa-totp' });
    await attempt(false, { kind: '2fa-totp' });
    await attempt(false, { banned: true });
    await attempt(false, { banned: true });
    await attempt(false);
    expect((await regulator.check('john', '192.0.2.1')).banned).toBe(false);
  });

  it('never bans with max_retries: 0', async () => {
    const { regulator, attempt, storage } = setup({ maxRetries: 0 });
    for (let i = 0; i < 10; i++) await attempt(false);
    expect((await regulator.check('john', '192.0.2.1')).banned).toBe(false);
    expect(storage.db.prepare('SELECT COUNT(*) AS n FROM authentication_logs').get()).toEqual({ n: 10 });
  });

  it('in ip mode bans the address for every username, and not the user elsewhere', async () => {
    const { regulator, attempt } = setup({ modes: ['ip'] });
    await attempt(false, { username: 'a' });
    await attempt(false, { username: 'b' });
    await attempt(false, { username: 'c' });
    expect((await regulator.check('john', '192.0.2.1')).banned).toBe(true);
    expect((await regulator.check('c', '192.0.2.2')).banned).toBe(false);
  });

  it('in user and ip mode bans both', async () => {
    const { regulator, attempt, storage } = setup({ modes: ['user', 'ip'] });
    for (let i = 0; i < 3; i++) await attempt(false);
    expect((await regulator.check('john', '198.51.100.7')).banned).toBe(true);
    expect((await regulator.check('harry', '192.0.2.1')).banned).toBe(true);
    const reasons = storage.db.prepare('SELECT source, reason FROM banned_user UNION ALL SELECT source, reason FROM banned_ip').all();
    expect(reasons).toEqual([
      { source: 'regulation', reason: 'Exceeding Maximum Retries' },
      { source: 'regulation', reason: 'Exceeding Maximum Retries' },
    ]);
  });

  it('checks the IP ban first, and applies bans whatever the modes', async () => {
    const { regulator, storage, clock } = setup({ modes: ['user'] });
    const now = clock.now();
    await storage.bans.banUser('john', { time: now, expires: now + minute, source: 'cli', reason: 'test' });
    await storage.bans.banIp('192.0.2.1', { time: now, expires: now + 2 * minute, source: 'cli', reason: 'test' });
    expect(await regulator.check('john', '192.0.2.1')).toEqual({ banned: true, until: now + 2 * minute });
    await storage.bans.banUser('harry', { time: now, expires: undefined, source: 'cli', reason: 'permanent' });
    expect(await regulator.check('harry', '192.0.2.5')).toEqual({ banned: true });
    expect(await storage.bans.revokeUser('harry', now)).toBe(1);
    expect(await regulator.check('harry', '192.0.2.5')).toEqual({ banned: false });
  });
});
