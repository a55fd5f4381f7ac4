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
