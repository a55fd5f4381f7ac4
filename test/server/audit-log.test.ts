import { describe, expect, it } from 'vitest';
import { auditLog } from '../../src/server/audit-log.js';
import type { ObservedEvent } from '../../src/shared/observe.js';
import { cookieHeader, loginFirstFactor, password, startAuthzGateway } from '../authz/fixtures.js';
import { injectListener } from '../helpers/gateway.js';

/** The audit lines of a log (one JSON object per line), in order. */
function auditLines(text: string): Record<string, unknown>[] {
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((line) => line.audit !== undefined)
    .map(({ time, pid, hostname, reqId, ...rest }) => rest);
}

const login = (world: Awaited<ReturnType<typeof startAuthzGateway>>, username: string, secret: string) =>
  injectListener(world.gateway, {
    method: 'POST',
    url: '/api/firstfactor',
    headers: { host: 'auth.example.com', 'content-type': 'application/json', 'x-forwarded-proto': 'https', 'x-forwarded-for': '192.0.2.7' },
    payload: { username, password: secret },
  });

describe('the audit log', () => {
  it('writes one line per login attempt, ban, HTTP Basic attempt, logout and ended session, with user, IP and outcome and never the password', async () => {
    const world = await startAuthzGateway({ regulation: { max_retries: 2, find_time: '2m', ban_time: '5m', modes: ['user'] } });
    expect((await login(world, 'bob', 'not-his-password')).statusCode).toBe(401);
    expect((await login(world, 'bob', 'still-not-it')).statusCode).toBe(401);
    expect((await login(world, 'bob', password)).statusCode).toBe(401); // banned now
    const id = await loginFirstFactor(world, 'john');
    const basic = `Basic ${Buffer.from('harry:wrong-basic-password').toString('base64')}`;
    const asked = await injectListener(world.gateway, {
      url: '/api/authz/forward-auth',
      headers: { 'x-forwarded-method': 'GET', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'secure.example.com', authorization: basic },
    });
    expect(asked.statusCode).toBe(401);
    const out = await injectListener(world.gateway, {
      method: 'POST',
      url: '/api/logout',
      headers: { host: 'auth.example.com', cookie: cookieHeader(world, id), 'content-type': 'application/json', 'x-forwarded-proto': 'https' },
      payload: {},
    });
    expect(out.statusCode).toBe(200);

    const lines = auditLines(world.logs());
    const level = 30;
    expect(lines).toEqual([
      { level, audit: 'authn', method: '1fa', outcome: 'failure', username: 'bob', ip: '192.0.2.7', msg: 'authentication failure' },
      { level, audit: 'authn', method: '1fa', outcome: 'failure', username: 'bob', ip: '192.0.2.7', msg: 'authentication failure' },
      { level, audit: 'ban', scope: 'user', username: 'bob', ip: '192.0.2.7', until: expect.any(Number), msg: 'user banned by regulation' },
      { level, audit: 'authn', method: '1fa', outcome: 'banned', username: 'bob', ip: '192.0.2.7', msg: 'authentication banned' },
      { level, audit: 'authn', method: '1fa', outcome: 'success', username: 'john', ip: '127.0.0.1', msg: 'authentication success' },
      { level, audit: 'authn', method: '1fa', outcome: 'failure', username: 'harry', ip: '127.0.0.1', msg: 'authentication failure' },
      { level, audit: 'session_ended', reason: 'logout', username: 'john', session: expect.stringMatching(/^[A-Za-z0-9_-]{12}$/), msg: 'session ended' },
      { level, audit: 'logout', kind: 'portal', username: 'john', msg: 'signed out (portal)' },
    ]);
    const text = world.logs();
    for (const secret of [password, 'not-his-password', 'still-not-it', 'wrong-basic-password', id, basic.slice(6)]) expect(text).not.toContain(secret);
  });

  it('names each event in `audit` and keeps its fields as they are; store errors are counted, not audited', () => {
    const written: [object, string][] = [];
    const write = auditLog({ info: (fields, message) => written.push([fields, message]) });
    const events: ObservedEvent[] = [
      { event: 'consent', action: 'granted', username: 'john', clientId: 'app' },
      { event: 'token_issued', grant: 'refresh_token', username: 'john', clientId: 'app' },
      { event: 'token_revoked', reason: 'code_reuse', username: 'john', clientId: 'app', count: 3 },
      { event: 'backchannel_logout', outcome: 'given_up', clientId: 'app', reason: 'answered 500' },
      { event: 'frontchannel_logout', clientIds: ['a', 'b'] },
      { event: 'password', action: 'reset', outcome: 'success', username: 'john', ip: '192.0.2.1' },
      { event: 'second_factor', action: 'removed', method: 'webauthn', username: 'john' },
      { event: 'store_error', store: 'session.redis' },
    ];
    for (const event of events) write(event);
    expect(written).toEqual([
      [{ audit: 'consent', action: 'granted', username: 'john', clientId: 'app' }, 'consent granted'],
      [{ audit: 'token_issued', grant: 'refresh_token', username: 'john', clientId: 'app' }, 'tokens issued (refresh_token)'],
      [{ audit: 'token_revoked', reason: 'code_reuse', username: 'john', clientId: 'app', count: 3 }, 'tokens revoked (code_reuse)'],
      [{ audit: 'backchannel_logout', outcome: 'given_up', clientId: 'app', reason: 'answered 500' }, 'back-channel logout given up'],
      [{ audit: 'frontchannel_logout', clientIds: ['a', 'b'] }, 'front-channel logout page served'],
      [{ audit: 'password', action: 'reset', outcome: 'success', username: 'john', ip: '192.0.2.1' }, 'password reset success'],
      [{ audit: 'second_factor', action: 'removed', method: 'webauthn', username: 'john' }, 'second factor removed (webauthn)'],
    ]);
  });
});
