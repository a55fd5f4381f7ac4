/**
 * Fuzzer: the cookie and session codec. Random or tampered input is refused, never crashes,
 * and is never taken for another value:
 * - session IDs (session/session-id.ts): a new ID always has the looked-up shape; a value that is
 *   not exactly a stored ID never loads a session, and a stored one loads its own state only;
 *   another cookie domain's ID loads nothing;
 * - the `Cookie` header in the request path: forward-auth lets a request through exactly when
 *   the session cookie, as the cookie parser reads it, is the signed-in ID; never a 5xx;
 * - session state survives the JSON round trip through the SQLite store and through Redis, whose
 *   values, tampered, moved to another key or replaced, read as no session;
 * - sealed values (the portal's SealPort over the storage ColumnCipher, AES-256-GCM bound to a
 *   context): opened only with their own context and key; any change is refused with
 *   GH_STORAGE_DECRYPT, never another plaintext and never another exception.
 */
import { join } from 'node:path';
import { parse as parseCookie } from 'cookie';
import fc from 'fast-check';
import { Redis } from 'ioredis';
import { describe, expect, it, onTestFinished } from 'vitest';
import type { SessionCookieConfig } from '../../src/config/session.js';
import { AuthLevel } from '../../src/rules/policy.js';
import { SessionManager } from '../../src/session/manager.js';
import type { SessionState } from '../../src/session/session.js';
import { hashSessionId, isSessionIdShape, newSessionId } from '../../src/session/session-id.js';
import { StorageSessionStore } from '../../src/session/store.js';
import { ManualClock } from '../../src/shared/clock.js';
import { GatehouseError } from '../../src/shared/errors.js';
import { systemRandom } from '../../src/shared/random.js';
import { AesGcmCipher } from '../../src/storage/cipher.js';
import { SqliteStorage } from '../../src/storage/sqlite/open.js';
import { cookieHeader, loginFirstFactor, startAuthzGateway } from '../authz/fixtures.js';
import { configOf, minimalRaw, tempDir } from '../helpers/config.js';
import { injectListener } from '../helpers/gateway.js';
import { openTestSessions, redisAvailable, testPrefix, testRedis } from '../helpers/redis.js';
import { fuzzParameters, fuzzTimeout } from './runs.js';

const redisUp = await redisAvailable('test/fuzz/session-codec.test.ts');

const base64url = [...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'];

/** Ways to change a text: one character replaced, case flipped, cut, extended, escaped, quoted, padded. */
type Tamper =
  | { kind: 'replace'; at: number; by: string }
  | { kind: 'case'; at: number }
  | { kind: 'cut'; at: number }
  | { kind: 'append' | 'prepend'; text: string }
  | { kind: 'escape'; at: number }
  | { kind: 'quote' | 'pad' | 'padding' };

const tamper: fc.Arbitrary<Tamper> = fc.oneof(
  fc.record({ kind: fc.constant('replace' as const), at: fc.nat(), by: fc.constantFrom(...base64url, '+', '/', '=', '.', ' ', '%', 'é') }),
  fc.record({ kind: fc.constant('case' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('cut' as const), at: fc.nat() }),
  fc.record({ kind: fc.constantFrom('append' as const, 'prepend' as const), text: fc.string({ maxLength: 3 }) }),
  fc.record({ kind: fc.constant('escape' as const), at: fc.nat() }),
  fc.record({ kind: fc.constantFrom('quote' as const, 'pad' as const, 'padding' as const) }),
);

function applyTamper(text: string, t: Tamper): string {
  const at = 'at' in t ? t.at % Math.max(1, text.length) : 0;
  switch (t.kind) {
    case 'replace':
      return text.slice(0, at) + t.by + text.slice(at + 1);
    case 'case': {
      const c = text[at] ?? '';
      return text.slice(0, at) + (c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase()) + text.slice(at + 1);
    }
    case 'cut':
      return text.slice(0, at);
    case 'append':
      return text + t.text;
    case 'prepend':
      return t.text + text;
    case 'escape':
      return `${text.slice(0, at)}%${(text.charCodeAt(at) || 0x41).toString(16).toUpperCase()}${text.slice(at + 1)}`;
    case 'quote':
      return `"${text}"`;
    case 'pad':
      return ` ${text} `;
    case 'padding':
      return `${text}=`;
  }
}

/** Text of every kind, well-formed Unicode. */
const text = fc.oneof(fc.string({ maxLength: 12 }), fc.string({ unit: 'binary', maxLength: 12 }), fc.string({ unit: 'grapheme', maxLength: 6 }));
const time = fc.integer({ min: 0, max: 2 ** 45 });
const optional = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });

/** Session states of every shape the code writes (flows included), with any text in them. */
const sessionState: fc.Arbitrary<SessionState> = fc
  .record({
    cookieDomain: fc.constantFrom('example.com', 'example.org', 'bücher.example'),
    createdAt: time,
    lastActivity: time,
    keepMeLoggedIn: fc.boolean(),
    username: text,
    displayName: text,
    groups: fc.array(text, { maxLength: 3 }),
    emails: fc.array(text, { maxLength: 2 }),
    level: fc.constantFrom(AuthLevel.none, AuthLevel.oneFactor, AuthLevel.twoFactor),
    amr: fc.subarray(['pwd', 'otp', 'hwk', 'swk', 'user', 'pin', 'mfa']),
    firstFactorAt: optional(time),
    secondFactorAt: optional(time),
    flows: fc.record(
      {
        totpEnrolment: fc.record({ verifiedAt: time, sealed: fc.base64String() }),
        webauthnIdentity: fc.record({ verifiedAt: time }),
        webauthn: fc.record(
          { purpose: fc.constantFrom('register' as const, 'second-factor' as const, 'passkey' as const), challenge: text, createdAt: time, description: text },
          { requiredKeys: ['purpose', 'challenge', 'createdAt'] },
        ),
      },
      { requiredKeys: [] },
    ),
    refreshedAt: optional(time),
    passwordFingerprint: optional(text),
    sid: optional(text),
    device: optional(fc.record({ userAgent: text, ip: text })),
  })
  .map((s) => s as SessionState);

/** What JSON keeps of a value (absent `undefined` fields). */
const json = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

function cookies(): { here: SessionCookieConfig; other: SessionCookieConfig } {
  const config = configOf(
    minimalRaw(tempDir(), {
      session: {
        cookies: [
          { domain: 'example.com', portal_url: 'https://auth.example.com' },
          { domain: 'example.org', portal_url: 'https://auth.example.org' },
        ],
      },
    }),
  );
  const [here, other] = config.session.cookies;
  return { here: here!, other: other! };
}

function openSqlite(clock: ManualClock) {
  const storage = SqliteStorage.open({ path: join(tempDir(), 'db.sqlite3'), encryptionKey: 'a-very-long-test-encryption-key', clock, appVersion: 'test' });
  onTestFinished(() => storage.close());
  return { storage, store: new StorageSessionStore(storage.sessions) };
}

describe('fuzz: session IDs, cookies, stored state and sealed values', () => {
  it(
    'a new session ID always has the looked-up shape; only that shape is looked up; hashes do not collide',
    () => {
      const hashes = new Map<string, string>();
      fc.assert(
        fc.property(fc.oneof(fc.string(), fc.base64String({ minLength: 40, maxLength: 48 }), fc.constant(newSessionId(systemRandom))), tamper, (value, t) => {
          const fresh = newSessionId(systemRandom);
          expect(isSessionIdShape(fresh)).toBe(true);
          for (const candidate of [value, applyTamper(fresh, t)]) {
            expect(isSessionIdShape(candidate)).toBe(/^[A-Za-z0-9_-]{43}$/.test(candidate));
            const hash = hashSessionId(candidate);
            const before = hashes.get(hash);
            if (before !== undefined) expect(before).toBe(candidate);
            hashes.set(hash, candidate);
          }
        }),
        fuzzParameters(3000),
      );
    },
    fuzzTimeout(),
  );

  it(
    'a cookie value loads a stored session only when it is exactly its ID, with its own state; never throws (SQLite)',
    async () => {
      const clock = new ManualClock(Date.parse('2030-01-01T00:00:00Z'));
      const { store } = openSqlite(clock);
      const { here, other } = cookies();
      const manager = new SessionManager({ store, cookies: [here, other], clock, random: systemRandom });
      const stored = new Map<string, SessionState>();
      for (let i = 0; i < 16; i++) {
        const session = manager.create(here);
        Object.assign(session.state, { username: `user${i}`, groups: [`g${i}`], level: AuthLevel.oneFactor, sid: `sid${i}` });
        await manager.save(here, session);
        stored.set(session.id, json(session.state));
      }
      const ids = [...stored.keys()];
      let loaded = 0;
      await fc.assert(
        fc.asyncProperty(
          fc.nat(),
          fc.array(tamper, { maxLength: 2 }),
          fc.oneof(fc.constant(undefined), fc.string(), fc.base64String()),
          async (pick, tampers, random) => {
            const original = ids[pick % ids.length]!;
            const value = random ?? tampers.reduce(applyTamper, original);
            const session = await manager.load(here, value);
            if (session === undefined) {
              expect(stored.has(value), `the stored ID ${value} did not load`).toBe(false);
              return;
            }
            loaded++;
            expect(session.id).toBe(value);
            expect(json(session.state)).toEqual(stored.get(value));
          },
        ),
        fuzzParameters(2000),
      );
      expect(loaded).toBeGreaterThan(0);
      // Under another cookie domain, a stored ID loads nothing (and the session ends).
      for (const id of ids.slice(0, 4)) {
        expect(await manager.load(other, id)).toBeUndefined();
        expect(await manager.load(here, id)).toBeUndefined();
      }
    },
    fuzzTimeout(),
  );

  it(
    'Cookie headers at forward-auth: through exactly when the parsed session cookie is the signed-in ID, never a 5xx',
    async () => {
      const w = await startAuthzGateway();
      const name = w.config.session.cookies[0]!.name;
      const id = cookieHeader(w, await loginFirstFactor(w, 'john')).slice(name.length + 1);
      const percent = (s: string, every: number) => [...s].map((c, i) => (i % every === 0 ? `%${c.charCodeAt(0).toString(16).toUpperCase()}` : c)).join('');
      const piece = fc.oneof(
        { arbitrary: fc.constant(`${name}=${id}`), weight: 3 },
        { arbitrary: tamper.map((t) => `${name}=${applyTamper(id, t)}`), weight: 3 },
        {
          arbitrary: fc.constantFrom(
            `${name}="${id}"`,
            `${name}=${percent(id, 5)}`,
            `${name} = ${id}`,
            `${name.toUpperCase()}=${id}`,
            `other=${id}`,
            `${name}=`,
            name,
            `${name}=${id}; Path=/`,
          ),
          weight: 3,
        },
        { arbitrary: fc.string({ maxLength: 12 }), weight: 1 },
      );
      const header = fc.tuple(fc.array(piece, { minLength: 1, maxLength: 4 }), fc.constantFrom('; ', ';', ', ', ';;')).map(([pieces, sep]) => pieces.join(sep));
      const seen = new Set<number>();
      await fc.assert(
        fc.asyncProperty(header, async (cookie) => {
          const reply = await injectListener(w.gateway, {
            method: 'GET',
            url: '/api/authz/forward-auth',
            headers: {
              accept: 'text/html',
              'x-forwarded-method': 'GET',
              'x-forwarded-proto': 'https',
              'x-forwarded-host': 'app.example.com',
              'x-forwarded-uri': '/',
              cookie,
            },
            remoteAddress: '127.0.0.1',
          });
          seen.add(reply.statusCode);
          const signedIn = parseCookie(cookie)[name] === id;
          expect(reply.statusCode, `Cookie: ${cookie}`).toBe(signedIn ? 200 : 302);
        }),
        fuzzParameters(300, 0.01),
      );
      expect([...seen].sort()).toEqual([200, 302]);
    },
    fuzzTimeout(),
  );

  it(
    'session state round-trips through the SQLite store as JSON',
    async () => {
      const clock = new ManualClock(Date.parse('2030-01-01T00:00:00Z'));
      const { store } = openSqlite(clock);
      await fc.assert(
        fc.asyncProperty(sessionState, async (state) => {
          const idHash = hashSessionId(newSessionId(systemRandom));
          await store.set(idHash, state, clock.now() + 3_600_000);
          expect(await store.get(idHash)).toEqual(json(state));
        }),
        fuzzParameters(1000),
      );
    },
    fuzzTimeout(),
  );

  it(
    'a sessions row whose data is not a stored session (not JSON, or JSON of another shape) reads as no session (and is dropped); get never throws',
    async () => {
      const clock = new ManualClock(Date.parse('2030-01-01T00:00:00Z'));
      const { storage, store } = openSqlite(clock);
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(
            fc.string({ maxLength: 40 }).map((data) => ({ data, session: false })),
            fc.json({ maxDepth: 2 }).map((data) => ({ data, session: false })),
            sessionState.map((state) => ({ data: JSON.stringify(state), session: true })),
            fc.constantFrom('', '{', 'nul', '{"a":1,}', '0', '[]', '{"username":"john","level":2}').map((data) => ({ data, session: false })),
          ),
          async ({ data, session }) => {
            const idHash = hashSessionId(newSessionId(systemRandom));
            await storage.sessions.put({ idHash, username: '', data, createdAt: clock.now(), expiresAt: clock.now() + 3_600_000 });
            if (session) {
              expect(await store.get(idHash)).toEqual(JSON.parse(data));
              return;
            }
            expect(await store.get(idHash)).toBeUndefined();
            expect(await storage.sessions.get(idHash)).toBeUndefined();
          },
        ),
        fuzzParameters(1000),
      );
    },
    fuzzTimeout(),
  );

  it.runIf(redisUp)(
    'session state round-trips through Redis; a tampered, moved or foreign value reads as no session',
    async () => {
      const clock = new ManualClock(Date.now());
      const prefix = testPrefix();
      const { store } = await openTestSessions(clock, prefix);
      const raw = new Redis({ ...testRedis, lazyConnect: true });
      await raw.connect();
      onTestFinished(() => raw.disconnect());
      const key = (idHash: string) => `${prefix}data:${idHash}`;
      await fc.assert(
        fc.asyncProperty(sessionState, sessionState, fc.array(tamper, { minLength: 1, maxLength: 2 }), async (state, otherState, tampers) => {
          const idHash = hashSessionId(newSessionId(systemRandom));
          const otherHash = hashSessionId(newSessionId(systemRandom));
          await store.set(idHash, state, clock.now() + 3_600_000);
          await store.set(otherHash, otherState, clock.now() + 3_600_000);
          const expected = json(state);
          expect(await store.get(idHash)).toEqual(expected);
          const value = (await raw.get(key(idHash)))!;
          // Tampered: no session, or (a change base64url decoding ignores) the very same state.
          await raw.set(key(idHash), tampers.reduce(applyTamper, value), 'KEEPTTL');
          const tampered = await store.get(idHash);
          if (tampered !== undefined) expect(tampered).toEqual(expected);
          // Another session's value moved under this key: bound to its own hash, it does not open.
          await raw.set(key(idHash), (await raw.get(key(otherHash)))!, 'KEEPTTL');
          expect(await store.get(idHash)).toBeUndefined();
          await store.delete(idHash);
          await store.delete(otherHash);
        }),
        fuzzParameters(300, 0.01),
      );
    },
    fuzzTimeout(),
  );

  it(
    'sealed values open only with their own context and key; any change is refused with GH_STORAGE_DECRYPT',
    () => {
      const cipher = new AesGcmCipher('a-very-long-test-encryption-key');
      const otherKey = new AesGcmCipher('another-very-long-test-encryption-key');
      // The portal's SealPort (server/portal-deps.ts): the column cipher, base64 text.
      const seal = (plaintext: string, context: string) => cipher.encrypt(plaintext, context).toString('base64');
      const open = (sealed: string, context: string, c = cipher) => c.decrypt(Buffer.from(sealed, 'base64'), context).toString('utf8');
      const refused = (f: () => unknown): boolean => {
        try {
          f();
          return false;
        } catch (error) {
          if (!(error instanceof GatehouseError) || error.code !== 'GH_STORAGE_DECRYPT') throw error;
          return true;
        }
      };
      const context = fc.oneof(fc.constantFrom('totp-enrolment:john', 'totp-enrolment:John', 'totp_configurations:secret:john', ''), text);
      fc.assert(
        fc.property(
          fc.string({ unit: 'binary', maxLength: 64 }),
          context,
          context,
          fc.array(tamper, { minLength: 1, maxLength: 3 }),
          fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 3 }),
          (plaintext, ctx, otherCtx, tampers, flips) => {
            const sealed = seal(plaintext, ctx);
            expect(open(sealed, ctx)).toBe(plaintext);
            if (otherCtx !== ctx) expect(refused(() => open(sealed, otherCtx))).toBe(true);
            expect(refused(() => open(sealed, ctx, otherKey))).toBe(true);
            // Tampered text: refused, or read as the very same bytes (base64 skips what it cannot read).
            const changed = tampers.reduce(applyTamper, sealed);
            let opened: string | undefined;
            if (!refused(() => (opened = open(changed, ctx)))) expect(opened).toBe(plaintext);
            // Tampered bytes: any bit flipped anywhere is refused.
            const bytes = Buffer.from(sealed, 'base64');
            for (const [at, mask] of flips) {
              const i = at % bytes.length;
              bytes[i] = (bytes[i] ?? 0) ^ mask;
            }
            // (Two flips of one bit cancel out: only a changed value must be refused.)
            if (!bytes.equals(Buffer.from(sealed, 'base64'))) expect(refused(() => cipher.decrypt(bytes, ctx))).toBe(true);
          },
        ),
        fuzzParameters(3000),
      );
      // Random bytes are never a sealed value.
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 80 }), context, (bytes, ctx) => {
          expect(refused(() => cipher.decrypt(Buffer.from(bytes), ctx))).toBe(true);
        }),
        fuzzParameters(2000),
      );
    },
    fuzzTimeout(),
  );
});
