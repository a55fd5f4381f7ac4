import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { dump } from 'js-yaml';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { Gateway } from '../../src/server/gateway.js';
import { openSessionAdmin } from '../../src/server/session-admin.js';
import { ManualClock } from '../../src/shared/clock.js';
import { StartupError } from '../../src/shared/errors.js';
import { runCli } from '../helpers/cli.js';
import { configOf, tempDir } from '../helpers/config.js';
import { startTestGateway, injectListener } from '../helpers/gateway.js';
import { PortalClient, quickDigest } from '../helpers/portal.js';
import { eventually, ownRedisServer, ownSentinel, redisServerInstalled } from '../helpers/redis.js';

/**
 * Gateways on `session.redis`, against a redis-server of the test's own (killed and restarted
 * at will): start-up without Redis, forward-auth failing closed while Redis is gone and
 * serving again by itself, two instances sharing sessions.
 */
const installed = redisServerInstalled('test/server/redis-sessions.test.ts');

function world(redis: { host: string; port: number } | undefined, dir = tempDir(), keys: Record<string, unknown> = {}) {
  const users = join(dir, 'users.yml');
  writeFileSync(users, dump({ users: { john: { displayname: 'John', password: quickDigest('password'), groups: ['dev'] } } }));
  const raw = {
    server: { address: 'tcp://127.0.0.1:0' },
    log: { level: 'warn', format: 'json' },
    session: {
      secret: 'a-very-long-test-session-secret',
      cookies: [{ domain: 'gatehouse.localhost', portal_url: 'http://auth.gatehouse.localhost' }],
      ...(redis ? { redis: { host: redis.host, port: redis.port, timeout: '1s', ...keys } } : {}),
    },
    storage: { encryption_key: 'a-very-long-test-encryption-key', local: { path: join(dir, 'db.sqlite3') } },
    authentication_backend: { file: { path: users } },
    access_control: { default_policy: 'deny', rules: [{ domain: 'app.gatehouse.localhost', policy: 'one_factor' }] },
  };
  return { raw, config: configOf(raw, {}, dir), dir };
}

/** Forward-auth for http://app.gatehouse.localhost/ with `cookie`, as Traefik asks. */
async function forwardAuth(gateway: Gateway, cookie: string | undefined): Promise<{ status: number; body: string }> {
  const reply = await injectListener(gateway, {
    method: 'GET',
    url: '/api/authz/forward-auth',
    remoteAddress: '127.0.0.1',
    headers: {
      accept: 'text/html',
      'x-forwarded-method': 'GET',
      'x-forwarded-proto': 'http',
      'x-forwarded-host': 'app.gatehouse.localhost',
      'x-forwarded-uri': '/',
      ...(cookie ? { cookie } : {}),
    },
  });
  return { status: reply.statusCode, body: reply.body };
}

async function signIn(gateway: Gateway): Promise<string> {
  const portal = new PortalClient(gateway);
  expect((await portal.login()).status).toBe(200);
  return portal.cookie!;
}

describe.skipIf(!installed)('gateways on session.redis', () => {
  it('refuses to start when Redis cannot be reached, naming the keys and the address', async () => {
    const redis = await ownRedisServer();
    await redis.kill();
    const { config } = world(redis);
    const error = await startTestGateway(config).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(StartupError);
    expect((error as StartupError).code).toBe('GH_SESSION_REDIS');
    expect((error as Error).message).toMatch(
      new RegExp(
        `^session\\.redis: cannot use Redis at 127\\.0\\.0\\.1:${redis.port}: .*ECONNREFUSED.* \\(check session\\.redis\\.host and session\\.redis\\.port\\)$`,
      ),
    );
  });

  it('gatehouse serve exits non-zero with that message', async () => {
    const redis = await ownRedisServer();
    await redis.kill();
    const { raw, dir } = world(redis);
    const file = join(dir, 'config.yml');
    writeFileSync(file, dump(raw));
    const result = await runCli(['serve', '--config', file]);
    expect(result.code).toBe(1);
    expect(result.stderr + result.stdout).toContain(`session.redis: cannot use Redis at 127.0.0.1:${redis.port}`);
  });

  it('forward-auth fails closed (503, never 200) while Redis is gone, and allows again by itself once it is back', async () => {
    const redis = await ownRedisServer();
    const gateway = await startTestGateway(world(redis).config, { clock: new ManualClock(Date.now()) });
    const cookie = await signIn(gateway);
    expect((await forwardAuth(gateway, cookie)).status).toBe(200);
    await redis.kill();
    // The cache stops serving as soon as the subscription drops; the store then fails closed.
    await eventually(async () => (await forwardAuth(gateway, cookie)).status === 503, 'forward-auth to refuse with 503');
    for (let i = 0; i < 5; i++) {
      const refused = await forwardAuth(gateway, cookie);
      expect(refused.status).toBe(503);
      expect(JSON.parse(refused.body)).toEqual({
        status: 'KO',
        message: 'Sessions cannot be checked right now (the session store is unavailable); try again shortly.',
      });
    }
    expect((await forwardAuth(gateway, undefined)).status).toBe(302); // no cookie: no session needed to say "log in"
    await redis.start();
    await eventually(async () => (await forwardAuth(gateway, cookie)).status === 200, 'forward-auth to allow again once Redis is back');
  });

  it('two gateways share sessions: a login on one passes the other, a logout on one is honoured by the other at once', async () => {
    const redis = await ownRedisServer();
    const clock = new ManualClock(Date.now()); // stands still: the 2 s cache lifetime never runs out here
    const a = await startTestGateway(world(redis).config, { clock });
    const b = await startTestGateway(world(redis).config, { clock });
    const cookie = await signIn(a);
    expect((await forwardAuth(b, cookie)).status).toBe(200);
    expect((await forwardAuth(a, cookie)).status).toBe(200);
    const onB = new PortalClient(b);
    onB.cookie = cookie;
    expect((await onB.postJson('/api/logout', {})).status).toBe(200);
    await eventually(async () => (await forwardAuth(a, cookie)).status === 302, 'A to honour the logout made on B');
  });

  it('gatehouse sessions revoke (openSessionAdmin) ends a session in Redis, and the running gateway stops honouring it at once', async () => {
    const redis = await ownRedisServer();
    const clock = new ManualClock(Date.now());
    const gateway = await startTestGateway(world(redis).config, { clock });
    const cookie = await signIn(gateway);
    expect((await forwardAuth(gateway, cookie)).status).toBe(200);
    const admin = await openSessionAdmin(world(redis).config, { logger: pino({ level: 'silent' }), appVersion: 'test', clock });
    try {
      expect((await admin.sessions.listUser('john')).length).toBe(1);
      expect(await admin.sessions.destroyUser('john', 'revoked')).toBe(1);
    } finally {
      await admin.close();
    }
    await eventually(async () => (await forwardAuth(gateway, cookie)).status === 302, 'the gateway to honour the revocation');
  });

  it('finds the master through Redis Sentinel (high_availability)', async () => {
    const master = await ownRedisServer();
    const sentinel = await ownSentinel(master);
    const gateway = await startTestGateway(world(sentinel, tempDir(), { high_availability: { sentinel_name: 'main' } }).config);
    const cookie = await signIn(gateway);
    expect((await forwardAuth(gateway, cookie)).status).toBe(200);
    // A master name the Sentinel does not know: refused at start, within twice session.redis.timeout.
    const error = await startTestGateway(world(sentinel, tempDir(), { high_availability: { sentinel_name: 'other' } }).config).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(error?.message).toMatch(
      /^session\.redis: cannot use Redis at master 'other' through the Sentinels 127\.0\.0\.1:\d+: .* \(check session\.redis\.high_availability/,
    );
  });
});
