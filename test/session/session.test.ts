import { describe, expect, it } from 'vitest';
import { anonymousState } from '../../src/session/session.js';
import { StorageSessionStore } from '../../src/session/store.js';
import { ManualClock } from '../../src/shared/clock.js';
import { memoryStorage } from '../helpers/storage.js';

/** A signed-in session with a TOTP enrolment in progress, as the sessions table has held it. */
const stored = {
  cookieDomain: 'example.com',
  createdAt: 1000,
  lastActivity: 2000,
  keepMeLoggedIn: false,
  username: 'john',
  displayName: 'John Doe',
  groups: ['admins', 'dev'],
  emails: ['john.doe@example.com'],
  level: 1,
  amr: ['pwd'],
  firstFactorAt: 1500,
  flows: { totpEnrolment: { verifiedAt: 1900, sealed: 'c2VhbGVk' } },
  refreshedAt: 1500,
  passwordFingerprint: 'abc',
};

describe('SessionState: the stored JSON shape', () => {
  it('an anonymous state serialises to the fields stored sessions have, in their order', () => {
    expect(JSON.stringify(anonymousState('example.com', 5))).toBe(
      '{"cookieDomain":"example.com","createdAt":5,"lastActivity":5,"keepMeLoggedIn":false,"username":"","displayName":"","groups":[],"emails":[],"level":0,"amr":[],"flows":{}}',
    );
  });

  it('a stored session loads with its identity, level and enrolment flow, and is written back unchanged', async () => {
    const clock = new ManualClock();
    const storage = memoryStorage(clock);
    const json = JSON.stringify(stored);
    await storage.sessions.put({ idHash: 'h1', username: 'john', data: json, createdAt: 1000, expiresAt: clock.now() + 60_000 });
    const store = new StorageSessionStore(storage.sessions);
    const state = await store.get('h1');
    expect(state?.flows.totpEnrolment).toEqual({ verifiedAt: 1900, sealed: 'c2VhbGVk' });
    expect(state).toMatchObject({ username: 'john', displayName: 'John Doe', groups: ['admins', 'dev'], emails: ['john.doe@example.com'], level: 1 });
    await store.set('h2', state!, clock.now() + 60_000);
    expect((await storage.sessions.get('h2'))?.data).toBe(json);
  });
});

describe('SessionState: a stored value that is not a session', () => {
  /** A session as the first wave stored it: none of the fields added since (refreshedAt, passwordFingerprint, sid, device, flows). */
  const { refreshedAt: _r, passwordFingerprint: _p, flows: _f, ...older } = stored;

  it.each([
    ['not JSON', '{"username":'],
    ['JSON but not an object', '[1,2]'],
    ['an object without the identity fields', '{"username":"john","level":1}'],
    ['groups that are not a list of names', JSON.stringify({ ...stored, groups: 'admins' })],
    ['a level that does not exist', JSON.stringify({ ...stored, level: 7 })],
    ['amr that is not a list', JSON.stringify({ ...stored, amr: null })],
    ['a device without its fields', JSON.stringify({ ...stored, device: {} })],
  ])('%s reads as no session and the row is dropped; the cookie that names it never fails a request', async (_name, data) => {
    const clock = new ManualClock();
    const storage = memoryStorage(clock);
    await storage.sessions.put({ idHash: 'bad', username: 'john', data, createdAt: 1000, expiresAt: clock.now() + 60_000 });
    const store = new StorageSessionStore(storage.sessions);
    expect(await store.get('bad')).toBeUndefined();
    expect(await storage.sessions.get('bad')).toBeUndefined();
    expect(await store.listUser('john')).toEqual([]);
  });

  it('an older session without the fields added since still loads (no flows reads as none)', async () => {
    const clock = new ManualClock();
    const storage = memoryStorage(clock);
    await storage.sessions.put({ idHash: 'old', username: 'john', data: JSON.stringify(older), createdAt: 1000, expiresAt: clock.now() + 60_000 });
    const store = new StorageSessionStore(storage.sessions);
    const state = await store.get('old');
    expect(state).toMatchObject({ username: 'john', level: 1, flows: {} });
    expect(state?.refreshedAt).toBeUndefined();
    expect((await store.listUser('john')).map((s) => s.idHash)).toEqual(['old']);
  });
});
