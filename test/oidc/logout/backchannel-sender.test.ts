import { describe, expect, it } from 'vitest';
import type { OidcClientConfig } from '../../../src/config/oidc.js';
import { KeyStore } from '../../../src/oidc/keys.js';
import { BackchannelSender, type BackchannelTuning, backchannelDefaults, retryDelay } from '../../../src/oidc/logout/backchannel-sender.js';
import { ManualClock } from '../../../src/shared/clock.js';
import { configOf, minimalRaw, tempDir } from '../../helpers/config.js';
import { memoryStorage } from '../../helpers/storage.js';
import { type Answer, eventually, startReceiver, verifyLogoutToken } from './receiver.js';
import { freePort } from '../../helpers/ports.js';

const issuer = 'https://auth.example.com';
const hour = 60 * 60_000;

/** Clients read through the real configuration reader; `rp` logs out at `uri`. */
function clientsWith(uri: string, extra: Record<string, unknown> = {}): Map<string, OidcClientConfig> {
  const base = { client_secret: 'a-client-secret-0123456789', redirect_uris: ['https://rp.example.com/cb'] };
  const config = configOf(
    minimalRaw(tempDir(), {
      identity_providers: {
        oidc: {
          hmac_secret: 'a-very-long-hmac-secret-for-tests',
          clients: [
            { ...base, client_id: 'rp', backchannel_logout_uri: uri, ...extra },
            { ...base, client_id: 'quiet' },
          ],
        },
      },
    }),
  );
  return new Map(config.identityProviders.oidc!.clients.map((c) => [c.id, c]));
}

/** A log that keeps every line. */
function recordingLogger() {
  const lines: { level: string; fields: Record<string, unknown>; message: string }[] = [];
  const at = (level: string) => (fields: object, message: string) => void lines.push({ level, fields: fields as Record<string, unknown>, message });
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/** A sender over an in-memory database and a receiver answering `answer`; polling is left to `kick`. */
async function world(answer: Answer = 'ok', options: { tuning?: BackchannelTuning; uri?: string; client?: Record<string, unknown> } = {}) {
  const clock = new ManualClock();
  const storage = memoryStorage(clock);
  const keys = await KeyStore.load([], storage.oidc, clock);
  const receiver = await startReceiver(answer);
  const uri = options.uri ?? receiver.url;
  const clients = clientsWith(uri, options.client);
  const logger = recordingLogger();
  const sender = new BackchannelSender({ repository: storage.oidc, keys, clients, clock, logger, pollInterval: hour, ...options.tuning });
  // Every row is queued with this lifetime; `row` reads the first one still alive, due or not.
  const expiresAt = clock.now() + hour;
  const enqueue = (fields: { sid?: string; subject?: string; jti?: string; clientId?: string; uri?: string } = {}) =>
    storage.oidc.enqueueLogout({
      clientId: fields.clientId ?? 'rp',
      uri: fields.uri ?? clients.get('rp')!.backchannelLogoutUri!,
      issuer,
      subject: fields.subject ?? 'subject-of-john',
      sid: fields.sid ?? 'sid-1',
      jti: fields.jti ?? `jti-${Math.random()}`,
      reason: 'logout',
      nextAttemptAt: clock.now(),
      expiresAt,
      createdAt: clock.now(),
    });
  const queued = async () => (await storage.oidc.dueLogouts(Number.MAX_SAFE_INTEGER, 100)).concat(await storage.oidc.dropExpiredLogouts(-1));
  const row = async () => (await storage.oidc.dueLogouts(expiresAt - 1, 100))[0];
  return { clock, storage, keys, receiver, clients, logger, sender, enqueue, queued, row };
}

describe('back-channel logout sender: delivery', () => {
  it('POSTs logout_token as a form to the registered URI, signed as Back-Channel Logout 1.0 §2.4 says, and removes the row on 200', async () => {
    const w = await world();
    await w.enqueue({ jti: 'the-jti', sid: 'the-sid' });
    w.sender.start();
    await eventually(async () => (await w.storage.oidc.pendingLogouts()) === 0, 'the delivery');
    await w.sender.stop();
    expect(w.receiver.received).toHaveLength(1);
    const [got] = w.receiver.received;
    expect([got!.method, got!.path, got!.contentType]).toEqual(['POST', '/backchannel', 'application/x-www-form-urlencoded']);
    expect([...new URLSearchParams(got!.body).keys()]).toEqual(['logout_token']);
    const claims = await verifyLogoutToken(got!.token!, w.keys.jwks(), { issuer, audience: 'rp', now: w.clock.now() });
    expect(claims).toMatchObject({ iss: issuer, aud: 'rp', sub: 'subject-of-john', sid: 'the-sid', jti: 'the-jti' });
    expect(claims.exp! - claims.iat!).toBe(120);
    expect(claims.iat).toBe(Math.floor(w.clock.now() / 1000));
    expect(w.logger.lines).toEqual([
      {
        level: 'info',
        fields: { clientId: 'rp', reason: 'logout', jti: 'the-jti', uri: w.receiver.url, attempts: 1 },
        message: 'back-channel logout token delivered',
      },
    ]);
    expect(JSON.stringify(w.logger.lines)).not.toContain(got!.token!);
  });

  it('counts any 2xx as delivered (204)', async () => {
    const w = await world('no-content');
    await w.enqueue();
    w.sender.kick();
    w.sender.start();
    await eventually(async () => (await w.storage.oidc.pendingLogouts()) === 0, 'the delivery');
    expect(w.receiver.tokens()).toHaveLength(1);
  });

  it('signs with the client’s id_token_signed_response_alg (ES256)', async () => {
    const w = await world('ok', { client: { id_token_signed_response_alg: 'ES256' } });
    // Without configured jwks the gateway generates a key for every algorithm its clients sign with.
    const keys = await KeyStore.load([], w.storage.oidc, w.clock, ['ES256']);
    const sender = new BackchannelSender({ repository: w.storage.oidc, keys, clients: w.clients, clock: w.clock, logger: w.logger });
    await w.enqueue();
    sender.start();
    await eventually(() => w.receiver.tokens().length === 1, 'the delivery');
    await sender.stop();
    const token = w.receiver.tokens()[0]!;
    await verifyLogoutToken(token, keys.jwks(), { issuer, audience: 'rp', now: w.clock.now() });
    expect(JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString()).alg).toBe('ES256');
  });

  it('leaves out sid when the session had none and the client does not require it; gives up a row it cannot send', async () => {
    const w = await world();
    await w.enqueue({ sid: '', jti: 'no-sid' });
    w.sender.start();
    await eventually(() => w.receiver.tokens().length === 1, 'the delivery');
    const claims = await verifyLogoutToken(w.receiver.tokens()[0]!, w.keys.jwks(), { issuer, audience: 'rp', now: w.clock.now() });
    expect(claims).not.toHaveProperty('sid');
    expect(claims.sub).toBe('subject-of-john');
    await w.sender.stop();

    const required = await world('ok', { client: { backchannel_logout_session_required: true } });
    await required.enqueue({ sid: '', jti: 'required' });
    required.sender.start();
    await eventually(async () => (await required.storage.oidc.pendingLogouts()) === 0, 'the row to go');
    expect(required.receiver.received).toEqual([]);
    expect(required.logger.lines.map((l) => [l.level, l.message])).toEqual([
      ['warn', 'back-channel logout given up: the client requires a sid and the session had none'],
    ]);
  });
});

describe('back-channel logout sender: only the registered URI', () => {
  it('never follows a redirect: the 307 counts as a failed attempt and its target is never called', async () => {
    const w = await world('redirect');
    await w.enqueue();
    w.sender.start();
    await eventually(async () => (await w.row())?.attempts === 1, 'the failed attempt');
    await w.sender.stop();
    expect(w.receiver.received.map((r) => r.path)).toEqual(['/backchannel']);
    expect((await w.row())!.lastError).toBe('answered 307');
  });

  it('drops a row whose URI the client no longer registers (configuration changed since it was queued), without calling it', async () => {
    const w = await world();
    const other = await startReceiver('ok');
    await w.enqueue({ uri: other.url });
    await w.enqueue({ clientId: 'gone', uri: w.receiver.url });
    w.sender.start();
    await eventually(async () => (await w.storage.oidc.pendingLogouts()) === 0, 'the rows to go');
    await w.sender.stop();
    expect([other.received, w.receiver.received]).toEqual([[], []]);
    expect(w.logger.lines.map((l) => l.message)).toEqual([
      'back-channel logout given up: the client no longer registers this backchannel_logout_uri',
      'back-channel logout given up: the client no longer registers this backchannel_logout_uri',
    ]);
  });
});

describe('back-channel logout sender: failures, back-off, the bound', () => {
  it('retries a 500 after 2 s, 4 s, 8 s … (the same jti, a fresh iat), and delivers once the receiver answers 200', async () => {
    const w = await world('fail');
    await w.enqueue({ jti: 'same' });
    w.sender.start();
    const attempt = async (n: number) => {
      w.sender.kick();
      await eventually(async () => (await w.row())?.attempts === n, `attempt ${n}`);
    };
    await attempt(1);
    const first = w.clock.now();
    expect((await w.row())!.nextAttemptAt).toBe(first + 2_000);
    // Not due yet: a pass sends nothing.
    w.clock.advance(1_999);
    w.sender.kick();
    await w.sender.idle();
    expect(w.receiver.received).toHaveLength(1);
    w.clock.advance(1);
    await attempt(2);
    expect((await w.row())!.nextAttemptAt).toBe(w.clock.now() + 4_000);
    w.clock.advance(4_000);
    await attempt(3);
    expect(await w.row()).toMatchObject({ nextAttemptAt: w.clock.now() + 8_000, lastError: 'answered 500' });
    w.receiver.answer('ok');
    w.clock.advance(8_000);
    w.sender.kick();
    await eventually(async () => (await w.storage.oidc.pendingLogouts()) === 0, 'the delivery');
    await w.sender.stop();
    const tokens = w.receiver.tokens();
    expect(tokens).toHaveLength(4);
    const claims = await Promise.all(tokens.map((t) => verifyLogoutToken(t, w.keys.jwks(), { issuer, audience: 'rp', now: w.clock.now() - 14_000 + 14_000 })));
    expect(new Set(claims.map((c) => c.jti))).toEqual(new Set(['same']));
    expect(claims.map((c) => c.iat! - claims[0]!.iat!)).toEqual([0, 2, 6, 14]);
    expect(w.logger.lines.map((l) => [l.level, l.fields.attempts])).toEqual([
      ['debug', 1],
      ['debug', 2],
      ['debug', 3],
      ['info', 4],
    ]);
    expect(w.logger.lines[0]!.fields).toMatchObject({ clientId: 'rp', reason: 'logout', error: 'answered 500' });
  });

  it('gives a delivery up after its lifetime (1 h): about a dozen attempts, then one warning and the row is gone', async () => {
    const w = await world('fail');
    await w.enqueue({ jti: 'doomed' });
    w.sender.start();
    const start = w.clock.now();
    for (;;) {
      const row = await w.row();
      if (!row || row.nextAttemptAt >= start + hour) break;
      w.clock.set(row.nextAttemptAt);
      const before = row.attempts;
      w.sender.kick();
      // After the last attempt the row's next one falls past its lifetime: `row` no longer reads it.
      await eventually(async () => ((await w.row())?.attempts ?? Number.POSITIVE_INFINITY) > before, 'an attempt');
    }
    const attempts = w.receiver.received.length;
    // 2 + 4 + … + 256 s, then every 5 min until the hour is over.
    expect(attempts).toBe(8 + Math.ceil((hour - 510_000) / 300_000));
    w.clock.set(start + hour);
    w.sender.kick();
    await eventually(async () => (await w.storage.oidc.pendingLogouts()) === 0, 'the row to be given up');
    await w.sender.stop();
    expect(w.receiver.received).toHaveLength(attempts);
    const warning = w.logger.lines.at(-1)!;
    expect(warning).toMatchObject({ level: 'warn', message: 'back-channel logout given up: its lifetime passed without a 2xx answer' });
    expect(warning.fields).toMatchObject({ clientId: 'rp', reason: 'logout', jti: 'doomed', attempts, error: 'answered 500' });
  });

  it('times out a receiver that hangs, and counts it as a failed attempt', async () => {
    const w = await world('hang', { tuning: { timeoutMs: 100 } });
    await w.enqueue();
    w.sender.start();
    await eventually(async () => (await w.row())?.attempts === 1, 'the timeout');
    await w.sender.stop();
    expect((await w.row())!.lastError).toBe('no answer within 100 ms');
  });

  it('counts a refused connection as a failed attempt', async () => {
    const w = await world('ok', { uri: `http://127.0.0.1:${await freePort()}/backchannel` });
    await w.enqueue();
    w.sender.start();
    await eventually(async () => (await w.row())?.attempts === 1, 'the failure');
    await w.sender.stop();
    expect((await w.row())!.lastError).toBe('request failed: ECONNREFUSED');
  });

  it('keeps at most `concurrency` requests in flight: hanging receivers hold slots, the rest wait in the database', async () => {
    const w = await world('hang', { tuning: { concurrency: 4, perClientConcurrency: 4, timeoutMs: 60_000 } });
    for (let i = 0; i < 12; i++) await w.enqueue({ jti: `j${i}` });
    w.sender.start();
    await eventually(() => w.receiver.open() === 4, 'four requests open');
    // More passes do not open more.
    for (let i = 0; i < 5; i++) {
      w.sender.kick();
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect([w.receiver.received.length, w.sender.inFlight]).toEqual([4, 4]);
    w.receiver.answer('ok');
    w.receiver.release();
    await eventually(async () => (await w.storage.oidc.pendingLogouts()) === 0, 'every delivery');
    await w.sender.stop();
    expect(w.receiver.maxOpen()).toBe(4);
    expect(new Set(w.receiver.tokens()).size).toBe(12);
    expect(w.receiver.received).toHaveLength(12);
  });

  it('two senders on one database (two gateways) send each logout token once', async () => {
    const w = await world('ok');
    const twin = new BackchannelSender({ repository: w.storage.oidc, keys: w.keys, clients: w.clients, clock: w.clock, logger: w.logger, pollInterval: hour });
    for (let i = 0; i < 20; i++) await w.enqueue({ jti: `j${i}` });
    w.sender.start();
    twin.start();
    await eventually(async () => (await w.storage.oidc.pendingLogouts()) === 0, 'every delivery');
    await Promise.all([w.sender.stop(), twin.stop()]);
    expect(w.receiver.tokens()).toHaveLength(20);
    expect(new Set(w.receiver.tokens().map((t) => JSON.parse(Buffer.from(t.split('.')[1]!, 'base64url').toString()).jti)).size).toBe(20);
  });

  it('a client whose receiver hangs holds at most perClientConcurrency slots: another client’s logouts go through meanwhile', async () => {
    const w = await world('hang', { tuning: { timeoutMs: 60_000 } });
    const other = await startReceiver('ok');
    const clients = clientsWith(w.receiver.url, {});
    const second = { ...clients.get('rp')!, id: 'other', backchannelLogoutUri: other.url };
    clients.set('other', second);
    const sender = new BackchannelSender({
      repository: w.storage.oidc,
      keys: w.keys,
      clients,
      clock: w.clock,
      logger: w.logger,
      pollInterval: hour,
      timeoutMs: 60_000,
    });
    // Ten logouts for the hanging client queued first, then three for the other.
    for (let i = 0; i < 10; i++) await w.enqueue({ jti: `hang-${i}` });
    for (let i = 0; i < 3; i++) await w.enqueue({ jti: `ok-${i}`, clientId: 'other', uri: other.url });
    sender.start();
    await eventually(() => other.tokens().length === 3, 'the other client’s logouts');
    expect(w.receiver.open()).toBe(backchannelDefaults.perClientConcurrency);
    await sender.stop();
    expect(w.receiver.maxOpen()).toBe(2);
  });

  it('stop() aborts the requests in flight without counting them; the rows are due again when their lease ends', async () => {
    const w = await world('hang', { tuning: { timeoutMs: 60_000 } });
    await w.enqueue();
    await w.enqueue();
    w.sender.start();
    await eventually(() => w.receiver.open() === 2, 'two requests open');
    await w.sender.stop();
    expect(w.sender.inFlight).toBe(0);
    // Leased for the request timeout and 5 s to the sender that claimed them: nobody else sends them meanwhile.
    expect(await w.storage.oidc.dueLogouts(w.clock.now() + 65_000 - 1, 10)).toEqual([]);
    w.clock.advance(65_000);
    const rows = await w.storage.oidc.dueLogouts(w.clock.now(), 10);
    expect(rows.map((r) => r.attempts)).toEqual([0, 0]);
    w.sender.kick();
    w.sender.start();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(w.receiver.received).toHaveLength(2);
  });
});

describe('retryDelay', () => {
  it('doubles from 2 s and stops at 5 min', () => {
    expect([1, 2, 3, 4, 8, 9, 10, 100].map((n) => retryDelay(n, backchannelDefaults) / 1000)).toEqual([2, 4, 8, 16, 256, 300, 300, 300]);
  });
});
