import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { SessionCookieConfig } from '../../src/config/session.js';
import { AuthLevel } from '../../src/rules/policy.js';
import { watchEndedSessions } from '../../src/server/session-admin.js';
import { SessionManager } from '../../src/session/manager.js';
import type { SessionState } from '../../src/session/session.js';
import { StorageSessionStore } from '../../src/session/store.js';
import type { UserCheck, UserRefresh } from '../../src/session/user-refresh.js';
import { ManualClock } from '../../src/shared/clock.js';
import { systemRandom } from '../../src/shared/random.js';
import { configOf, minimalRaw } from '../helpers/config.js';
import { memoryStorage } from '../helpers/storage.js';

/** A refresh that is due at every load and answers `verdict`; keeps the manager's "end every session of a user". */
class ScriptedRefresh implements UserRefresh {
  verdict: UserCheck = 'unchanged';
  endSessions: ((username: string) => Promise<number>) | undefined;
  due(): boolean {
    return true;
  }
  async check(): Promise<UserCheck> {
    return this.verdict;
  }
  stamp(): void {}
  connect(endSessions: (username: string) => Promise<number>): void {
    this.endSessions = endSessions;
  }
}

/** A session manager wired as the gateway's (server/session-admin.ts), logging JSON lines into `lines`. */
function setup() {
  const config = configOf(
    minimalRaw('/tmp/x', {
      session: {
        inactivity: '5m',
        cookies: [
          { domain: 'example.com', portal_url: 'https://auth.example.com' },
          { domain: 'example.org', portal_url: 'https://auth.example.org' },
        ],
      },
    }),
  );
  const [com, org] = config.session.cookies as [SessionCookieConfig, SessionCookieConfig];
  const clock = new ManualClock();
  const refresh = new ScriptedRefresh();
  const manager = new SessionManager({
    store: new StorageSessionStore(memoryStorage(clock).sessions),
    cookies: [com, org],
    clock,
    random: systemRandom,
    refresh,
  });
  const output: string[] = [];
  const logger = pino(
    { level: 'info' },
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        output.push(chunk.toString());
        done();
      },
    }),
  );
  watchEndedSessions(manager, { logger, oidc: undefined });
  const signIn = async (username: string, fields: Partial<SessionState> = {}) => {
    const session = manager.create(com);
    Object.assign(session.state, { username, level: AuthLevel.oneFactor, amr: ['pwd'], ...fields });
    manager.signedIn(session.state);
    return manager.regenerate(com, session);
  };
  /** The audit lines written so far (and forgets them). */
  const audit = () => {
    const raw = output.splice(0).join('');
    return {
      raw,
      lines: raw
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .filter((l) => l.audit === 'session_ended'),
    };
  };
  return { manager, com, org, clock, refresh, signIn, audit };
}

/** What the audit line of a session says. */
const line = (session: { idHash: string; state: SessionState }, reason: string) => ({
  audit: 'session_ended',
  msg: 'session ended',
  level: 30,
  username: session.state.username,
  reason,
  session: session.idHash.slice(0, 12),
});

describe('the audit line of an ended session', () => {
  it('is written once per ended signed-in session, for every way a session ends, without the session ID or sid', async () => {
    const { manager, com, org, clock, refresh, signIn, audit } = setup();

    const loggedOut = await signIn('john');
    await manager.destroy(loggedOut, 'logout');
    let written = audit();
    expect(written.lines).toEqual([expect.objectContaining(line(loggedOut, 'logout'))]);
    expect(written.raw).not.toContain(loggedOut.id);
    expect(written.raw).not.toContain(loggedOut.state.sid);

    const rp = await signIn('john');
    await manager.destroy(rp, 'rp-logout');
    expect(audit().lines).toEqual([expect.objectContaining(line(rp, 'rp-logout'))]);

    const [a, b, other] = [await signIn('john'), await signIn('john'), await signIn('bob')];
    expect(await manager.destroyUser('john', 'logout-everywhere')).toBe(2);
    written = audit();
    expect(written.lines).toHaveLength(2);
    expect(written.lines).toEqual(
      expect.arrayContaining([expect.objectContaining(line(a, 'logout-everywhere')), expect.objectContaining(line(b, 'logout-everywhere'))]),
    );

    expect(await manager.destroyByHash(other.idHash, 'revoked')).toBe(true);
    expect(audit().lines).toEqual([expect.objectContaining(line(other, 'revoked'))]);
    expect(await manager.destroyByHash(other.idHash, 'revoked')).toBe(false);
    expect(audit().lines).toEqual([]);

    // Expired: found on use, and found by the purge.
    const idle = await signIn('john');
    const purged = await signIn('bob');
    clock.advance(5 * 60_000 + 1);
    expect(await manager.load(com, idle.id)).toBeUndefined();
    expect(audit().lines).toEqual([expect.objectContaining(line(idle, 'expired'))]);
    expect(await manager.purge()).toBe(1);
    expect(audit().lines).toEqual([expect.objectContaining(line(purged, 'expired'))]);

    // The user changed in the users file: found on use, and on a reload (every session of the user).
    const changed = await signIn('john');
    refresh.verdict = 'ended';
    expect(await manager.load(com, changed.id)).toBeUndefined();
    expect(audit().lines).toEqual([expect.objectContaining(line(changed, 'user-changed'))]);
    const reloaded = await signIn('john');
    expect(await refresh.endSessions!('john')).toBe(1);
    expect(audit().lines).toEqual([expect.objectContaining(line(reloaded, 'user-changed'))]);
    refresh.verdict = 'unchanged';

    // A cookie replayed on another cookie domain.
    const replayed = await signIn('bob');
    expect(await manager.load(org, replayed.id)).toBeUndefined();
    expect(audit().lines).toEqual([expect.objectContaining(line(replayed, 'invalid'))]);
  });

  it('is not written for an anonymous session', async () => {
    const { manager, com, audit } = setup();
    const anonymous = manager.create(com);
    await manager.save(com, anonymous);
    await manager.destroy(anonymous, 'logout');
    expect(audit().lines).toEqual([]);
  });
});
