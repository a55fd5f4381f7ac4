import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { TlsClientConfig } from '../../src/config/tls-client.js';
import { AuthLevel } from '../../src/rules/policy.js';
import { CachedSessionStore } from '../../src/session/cached-store.js';
import { openRedisSessions } from '../../src/session/redis-sessions.js';
import { anonymousState } from '../../src/session/session.js';
import { SessionStoreUnavailableError } from '../../src/session/store-error.js';
import { ManualClock } from '../../src/shared/clock.js';
import { StartupError } from '../../src/shared/errors.js';
import { systemRandom } from '../../src/shared/random.js';
import { tempDir } from '../helpers/config.js';
import { eventually, openTestSessions, ownRedisServer, redisConfig, redisServerInstalled, secret } from '../helpers/redis.js';

/** Redis lost and found again, against a redis-server of the test's own (data kept across a SIGKILL). */
const installed = redisServerInstalled('test/session/redis-failure.test.ts');

const john = (clock: ManualClock) => ({ ...anonymousState('example.com', clock.now()), username: 'john', level: AuthLevel.oneFactor, sid: 'sid-1' });

async function refusal(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => 'answered',
    (error: unknown) => error,
  );
}

describe.skipIf(!installed)('Redis sessions when Redis fails', () => {
  it('fail closed while Redis is gone — the cache included — and serve again by themselves once it is back', async () => {
    const redis = await ownRedisServer();
    const clock = new ManualClock(Date.now());
    const sessions = await openTestSessions(clock, 'failure:', { changes: true, address: redis });
    const cached = new CachedSessionStore(sessions.store, { clock, changes: sessions.changes });
    await cached.set('h1', john(clock), clock.now() + 3_600_000);
    expect((await cached.get('h1'))?.username).toBe('john');
    await redis.kill();
    await eventually(() => !sessions.changes!.live, 'the subscription to be seen down');
    for (const store of [cached, sessions.store]) {
      const error = await refusal(store.get('h1'));
      expect(error).toBeInstanceOf(SessionStoreUnavailableError);
      expect((error as SessionStoreUnavailableError).status).toBe(503);
      expect(await refusal(store.set('h2', john(clock), clock.now() + 60_000))).toBeInstanceOf(SessionStoreUnavailableError);
      expect(await refusal(store.deleteUser('john'))).toBeInstanceOf(SessionStoreUnavailableError);
    }
    await redis.start();
    await eventually(async () => (await cached.get('h1').catch(() => undefined))?.username === 'john', 'reads to succeed again');
    await eventually(() => sessions.changes!.live, 'the subscription to be back');
  });

  it('forget everything cached when the subscription comes back: a change made meanwhile went unannounced', async () => {
    const redis = await ownRedisServer();
    const clock = new ManualClock(Date.now()); // stands still: only the feed can drop the entry
    const b = await openTestSessions(clock, 'failure:', { changes: true, address: redis });
    const a = await openTestSessions(clock, 'failure:', { address: redis }); // another instance
    const cached = new CachedSessionStore(b.store, { clock, changes: b.changes });
    await cached.set('h1', john(clock), clock.now() + 3_600_000);
    expect((await cached.get('h1'))?.username).toBe('john');
    const back = new Promise<void>((resolve) => b.changes!.listen({ changed: () => undefined, reset: resolve }));
    await a.client.call('CLIENT', 'KILL', 'TYPE', 'pubsub'); // only B subscribes on this server
    await a.store.delete('h1'); // its message reaches nobody
    await Promise.race([back, eventually(() => false, 'the subscription to come back', 10_000)]);
    expect(b.changes!.live).toBe(true);
    expect(await cached.get('h1')).toBeUndefined();
  });

  it('refuse to start with credentials Redis rejects, naming the keys', async () => {
    const redis = await ownRedisServer();
    const error = await refusal(
      openRedisSessions(redisConfig(redis, { username: 'nobody', password: 'wrong' }), {
        secret,
        clock: new ManualClock(),
        random: systemRandom,
        logger: pino({ level: 'silent' }),
        changes: true,
      }),
    );
    expect(error).toBeInstanceOf(StartupError);
    expect((error as Error).message).toMatch(
      new RegExp(
        `^session\\.redis: cannot use Redis at 127\\.0\\.0\\.1:${redis.port}: WRONGPASS .* \\(check session\\.redis\\.username and session\\.redis\\.password\\)$`,
      ),
    );
  });
});

describe.skipIf(!installed)('Redis sessions over TLS', () => {
  function pem(dir: string, name: string): { certificate: string; key: string } {
    const certificate = join(dir, `${name}.pem`);
    const key = join(dir, `${name}.key`);
    const args = ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', `/CN=${name}`];
    execFileSync('openssl', [...args, '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', key, '-out', certificate], { stdio: 'ignore' });
    return { certificate, key };
  }

  it('connects with a client certificate (mutual TLS), and names session.redis.tls when the handshake fails', async () => {
    const dir = tempDir();
    const client = pem(dir, 'client');
    const redis = await ownRedisServer({ tls: { ...pem(dir, 'server'), client } });
    const tls = (overrides: Partial<TlsClientConfig>): TlsClientConfig => ({
      serverName: undefined,
      skipVerify: true, // the server's certificate is self-signed (no certificates_directory yet)
      minimumVersion: 'TLSv1.2',
      maximumVersion: 'TLSv1.3',
      certificateChain: readFileSync(client.certificate, 'utf8'),
      privateKey: readFileSync(client.key, 'utf8'),
      ...overrides,
    });
    const open = (config: TlsClientConfig) =>
      openRedisSessions(redisConfig(redis, { tls: config }), {
        secret,
        clock: new ManualClock(),
        random: systemRandom,
        logger: pino({ level: 'silent' }),
        changes: true,
      });
    const sessions = await open(tls({}));
    try {
      const clock = new ManualClock(Date.now());
      await sessions.store.set('h1', john(clock), clock.now() + 60_000);
      expect((await sessions.store.get('h1'))?.username).toBe('john');
      expect(sessions.changes?.live).toBe(true);
    } finally {
      await sessions.close();
    }
    for (const refused of [tls({ certificateChain: undefined, privateKey: undefined }), tls({ skipVerify: false })]) {
      const error = await refusal(open(refused));
      expect(error).toBeInstanceOf(StartupError);
      expect((error as Error).message).toMatch(new RegExp(`^session\\.redis: cannot use Redis at 127\\.0\\.0\\.1:${redis.port}: `));
      expect((error as Error).message).toContain('(check session.redis.tls');
    }
  });
});
