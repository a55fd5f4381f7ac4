import { pbkdf2Sync, randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { toAb64 } from '../../../src/auth/password/encoding.js';
import { HashLimiter, PasswordHashingBusyError } from '../../../src/auth/password/hash-limiter.js';
import { configOf, minimalRaw, problemsOf, tempDir } from '../../helpers/config.js';
import { injectListener, startTestGateway } from '../../helpers/gateway.js';

/** A task the test finishes by hand, recording when it started. */
function gate(log: string[], name: string) {
  let finish!: () => void;
  const done = new Promise<void>((resolve) => (finish = resolve));
  return {
    task: async () => {
      log.push(`start ${name}`);
      await done;
      return name;
    },
    finish,
  };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('HashLimiter (issue 14, item 4)', () => {
  it('runs at most `concurrency` hashes, queues up to `queue` in order, and refuses the next one at once', async () => {
    const limiter = new HashLimiter({ concurrency: 2, queue: 1 });
    const log: string[] = [];
    const [a, b, c] = [gate(log, 'a'), gate(log, 'b'), gate(log, 'c')];
    const running = [limiter.run(a.task), limiter.run(b.task), limiter.run(c.task)];
    await tick();
    expect(log).toEqual(['start a', 'start b']);
    expect([limiter.running, limiter.queued]).toEqual([2, 1]);
    await expect(limiter.run(async () => 'd')).rejects.toBeInstanceOf(PasswordHashingBusyError);
    b.finish();
    await tick();
    expect(log).toEqual(['start a', 'start b', 'start c']);
    expect([limiter.running, limiter.queued]).toEqual([2, 0]);
    a.finish();
    c.finish();
    expect(await Promise.all(running)).toEqual(['a', 'b', 'c']);
    expect([limiter.running, limiter.queued]).toEqual([0, 0]);
  });

  it('frees the slot when a hash fails', async () => {
    const limiter = new HashLimiter({ concurrency: 1, queue: 0 });
    await expect(limiter.run(async () => Promise.reject(new Error('broken digest')))).rejects.toThrow('broken digest');
    expect(await limiter.run(async () => 'next')).toBe('next');
    expect(limiter.running).toBe(0);
  });

  it('refuses impossible limits', () => {
    expect(() => new HashLimiter({ concurrency: 0, queue: 1 })).toThrow(RangeError);
    expect(() => new HashLimiter({ concurrency: 1, queue: -1 })).toThrow(RangeError);
  });
});

describe('server.password_hashing', () => {
  it('defaults to cores − 1 (at least 1) hashes at once and a queue of 32', () => {
    const config = configOf(minimalRaw(tempDir()));
    expect(config.server.passwordHashing).toEqual({ concurrency: Math.max(1, availableParallelism() - 1), queue: 32 });
    const set = configOf(minimalRaw(tempDir(), { server: { address: 'tcp://127.0.0.1:0', password_hashing: { concurrency: 3, queue: 0 } } }));
    expect(set.server.passwordHashing).toEqual({ concurrency: 3, queue: 0 });
  });

  it('names a bad value and refuses to start', () => {
    const problems = problemsOf(minimalRaw(tempDir(), { server: { password_hashing: { concurrency: 0, queue: 'lots', burst: 1 } } }));
    expect(problems.join('\n')).toContain('server.password_hashing.concurrency: must be at least 1 but is 0');
    expect(problems.join('\n')).toMatch(/server\.password_hashing\.queue: must be a whole number/);
    expect(problems.join('\n')).toContain('server.password_hashing.burst');
  });

  it('a gateway at its limit answers further sign-ins 503 at once, counts none of them as failures, and takes the next one after', async () => {
    const dir = tempDir();
    // A slow, real digest (PBKDF2, 400,000 rounds: a few hundred milliseconds), so sign-ins overlap.
    const salt = randomBytes(16);
    const digest = `$pbkdf2-sha256$400000$${toAb64(salt)}$${toAb64(pbkdf2Sync('password', salt, 400_000, 32, 'sha256'))}`;
    writeFileSync(join(dir, 'users.yml'), `users:\n  john: {displayname: John, password: '${digest}', email: john@example.com, groups: []}\n`);
    const config = configOf(
      minimalRaw(dir, {
        server: { address: 'tcp://127.0.0.1:0', password_hashing: { concurrency: 1, queue: 0 } },
        authentication_backend: { file: { path: join(dir, 'users.yml') } },
        regulation: { max_retries: 1, find_time: '10m', ban_time: '10m' },
        access_control: { default_policy: 'one_factor' },
      }),
      {},
      dir,
    );
    const gateway = await startTestGateway(config);
    const signIn = (password: string) =>
      injectListener(gateway, {
        method: 'POST',
        url: '/api/firstfactor',
        remoteAddress: '127.0.0.1',
        headers: { host: 'auth.example.com', 'x-forwarded-proto': 'https', 'content-type': 'application/json' },
        payload: { username: 'john', password },
      });
    const answers = await Promise.all([signIn('password'), signIn('wrong'), signIn('wrong')]);
    expect(answers.map((a) => a.statusCode)).toEqual([200, 503, 503]);
    expect(answers[1]!.json()).toEqual({ status: 'KO', message: 'Too many sign-ins are being checked right now. Try again in a moment.' });
    expect(answers[1]!.headers['cache-control']).toBe('no-store');
    // The refused attempts never reached the password: with max_retries 1, one counted failure
    // would have banned john; he signs in again.
    expect((await signIn('password')).statusCode).toBe(200);
  });
});

describe('password hashing at its limit, on forward-auth with HTTP Basic', () => {
  it('answers 503 KO, never cached (never 500, never 401), while hashing is full', async () => {
    const { startAuthzGateway } = await import('../../authz/fixtures.js');
    const dir = tempDir();
    const salt = randomBytes(16);
    const digest = `$pbkdf2-sha256$400000$${toAb64(salt)}$${toAb64(pbkdf2Sync('password', salt, 400_000, 32, 'sha256'))}`;
    writeFileSync(join(dir, 'users.yml'), `users:\n  john: {displayname: John, password: '${digest}', email: john@example.com, groups: []}\n`);
    const w = await startAuthzGateway({
      server: { address: 'tcp://127.0.0.1:0', password_hashing: { concurrency: 1, queue: 0 } },
      authentication_backend: { file: { path: join(dir, 'users.yml') } },
    });
    const ask = () =>
      injectListener(w.gateway, {
        url: '/api/authz/forward-auth',
        remoteAddress: '127.0.0.1',
        headers: {
          authorization: `Basic ${Buffer.from('john:password').toString('base64')}`,
          'x-forwarded-method': 'GET',
          'x-forwarded-proto': 'https',
          'x-forwarded-host': 'app.example.com',
          'x-forwarded-uri': '/',
        },
      });
    const answers = await Promise.all([ask(), ask(), ask()]);
    expect(answers.map((a) => a.statusCode).sort()).toEqual([200, 503, 503]);
    const refused = answers.find((a) => a.statusCode === 503)!;
    expect([refused.headers['cache-control'], refused.json()]).toEqual([
      'no-store',
      { status: 'KO', message: 'Too many sign-ins are being checked right now. Try again in a moment.' },
    ]);
    expect(w.logs()).not.toContain('request failed');
  });
});
