import { describe, expect, it } from 'vitest';
import { hashSessionId } from '../../src/session/session-id.js';
import { ManualClock } from '../../src/shared/clock.js';
import { cookieHeader, loginFirstFactor, startAuthzGateway } from '../authz/fixtures.js';
import { injectListener } from '../helpers/gateway.js';
import { configOf, minimalRaw, problemsOf, tempDir } from '../helpers/config.js';

const asked = (cookie: string) => ({
  accept: 'text/html',
  cookie,
  'x-forwarded-method': 'GET',
  'x-forwarded-proto': 'https',
  'x-forwarded-host': 'app.example.com',
  'x-forwarded-uri': '/',
});

describe('session.cache_size (issue 14, item 3)', () => {
  it('defaults to 10,000 sessions, and names a bad value', () => {
    expect(configOf(minimalRaw(tempDir())).session.cacheSize).toBe(10_000);
    const raw = minimalRaw(tempDir());
    const problems = problemsOf({ ...raw, session: { ...(raw.session as object), cache_size: -1 } });
    expect(problems).toContain('session.cache_size: must be at least 0 but is -1');
  });

  it('with the cache, a session deleted behind the gateway’s back is still honoured within the cache lifetime; with cache_size 0, never', async () => {
    for (const [size, honouredAfterDelete] of [
      [undefined, true],
      [0, false],
    ] as const) {
      const clock = new ManualClock(Date.now());
      const w = await startAuthzGateway(
        size === undefined ? {} : { session: { cookies: [{ domain: 'example.com', portal_url: 'https://auth.example.com' }], cache_size: size } },
        'example.com',
        undefined,
        { clock },
      );
      const id = await loginFirstFactor(w, 'john');
      const ask = () => injectListener(w.gateway, { url: '/api/authz/forward-auth', remoteAddress: '127.0.0.1', headers: asked(cookieHeader(w, id)) });
      expect((await ask()).statusCode).toBe(200);
      // Another process (the CLI) removes the session from the shared store.
      await w.gateway.storage.sessions.delete(hashSessionId(id));
      expect([size, (await ask()).statusCode === 200]).toEqual([size, honouredAfterDelete]);
      clock.advance(2_001);
      expect((await ask()).statusCode).toBe(302);
    }
  });
});
