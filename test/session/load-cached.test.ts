import { describe, expect, it } from 'vitest';
import { parseRequestUrl } from '../../src/shared/request-url.js';
import type { RequestUrl } from '../../src/shared/request-url.js';
import { ManualClock } from '../../src/shared/clock.js';
import { loginFirstFactor, startAuthzGateway } from '../authz/fixtures.js';
import type { AuthzQuery } from '../../src/authz/evaluate.js';
import { Authorizer } from '../../src/authz/evaluate.js';
import { compileRules } from '../../src/rules/index.js';
import { readRules } from '../rules/fixtures.js';

/** Forward-auth's synchronous path (issue 14): a cached session is answered without a promise or a store call. */
describe('SessionManager.loadCached and Authorizer.check', () => {
  async function world(overrides: Record<string, unknown> = {}) {
    const clock = new ManualClock(Date.now());
    const w = await startAuthzGateway(overrides, 'example.com', undefined, { clock });
    const cookie = w.config.session.cookies[0]!;
    const id = await loginFirstFactor(w, 'john');
    const authorizer = new Authorizer({
      rules: compileRules({ defaultPolicy: 'deny', rules: readRules([{ domain: 'app.example.com', policy: 'one_factor' }]) }),
      sessions: w.gateway.sessions,
      basic: async () => ({ ok: false, reason: 'no' }),
    });
    const query = (cookieValue: string | undefined): AuthzQuery => ({
      url: parseRequestUrl('https://app.example.com/') as RequestUrl,
      method: 'GET',
      ip: '192.0.2.1',
      cookie: (name) => (name === cookie.name ? cookieValue : undefined),
    });
    return { w, clock, cookie, id, authorizer, query };
  }

  it('serves a cached, live session at once: the same frozen state, no promise', async () => {
    const { w, cookie, id, authorizer, query } = await world();
    const first = w.gateway.sessions.loadCached(cookie, id);
    const second = w.gateway.sessions.loadCached(cookie, id);
    expect(first?.state.username).toBe('john');
    expect(second?.state).toBe(first?.state);
    expect(Object.isFrozen(first?.state)).toBe(true);
    expect(() => {
      (first!.state as { level: number }).level = 2;
    }).toThrow(TypeError);
    const verdict = authorizer.check(query(id));
    expect(verdict).not.toBeInstanceOf(Promise);
    expect(verdict).toMatchObject({ kind: 'allow', identity: { username: 'john' } });
    // No cookie, or not a session ID's shape: certainly nobody, also at once.
    expect(w.gateway.sessions.loadCached(cookie, undefined)).toBeUndefined();
    expect(w.gateway.sessions.loadCached(cookie, 'nope')).toBeUndefined();
    expect(authorizer.check(query(undefined))).toMatchObject({ kind: 'login' });
  });

  it('asks for a load when the activity write is due, the cache entry is stale, or the session is unknown', async () => {
    const { w, clock, cookie, id, authorizer, query } = await world();
    expect(w.gateway.sessions.loadCached(cookie, 'A'.repeat(43))).toBeNull();
    clock.advance(2_001); // past the cache lifetime
    expect(w.gateway.sessions.loadCached(cookie, id)).toBeNull();
    const reloaded = authorizer.check(query(id));
    expect(reloaded).toBeInstanceOf(Promise);
    expect(await reloaded).toMatchObject({ kind: 'allow' });
    expect(w.gateway.sessions.loadCached(cookie, id)).not.toBeNull();
    // Inactivity 5 min by default: past 30 s the check writes the activity time, through the async path.
    clock.advance(30_001);
    expect(w.gateway.sessions.loadCached(cookie, id)).toBeNull();
    expect(await authorizer.check(query(id))).toMatchObject({ kind: 'allow' });
  });

  it('never answers from memory with session.cache_size 0', async () => {
    const { w, cookie, id, authorizer, query } = await world({
      session: { cookies: [{ domain: 'example.com', portal_url: 'https://auth.example.com' }], cache_size: 0 },
    });
    expect(w.gateway.sessions.loadCached(cookie, id)).toBeNull();
    const verdict = authorizer.check(query(id));
    expect(verdict).toBeInstanceOf(Promise);
    expect(await verdict).toMatchObject({ kind: 'allow' });
  });
});
