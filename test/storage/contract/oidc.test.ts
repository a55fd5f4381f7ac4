import { describe, expect, it } from 'vitest';
import { storageBackends, useBackend } from './backends.js';
import { code, codeData, event, grant, token } from './oidc-fixtures.js';

describe.each(storageBackends)('OIDC signing keys, subjects, pending requests, consents ($name)', (backend) => {
  const db = useBackend(backend);

  it('keeps a retiring signing key until its time, then deletes it', async () => {
    const { oidc } = await db.open();
    await oidc.addSigningKey({ kid: 'k1', algorithm: 'RS256', privateKey: 'pem-1', createdAt: 1 });
    await oidc.addSigningKey({ kid: 'k2', algorithm: 'RS256', privateKey: 'pem-2', createdAt: 2, activatesAt: 100 });
    await oidc.retireSigningKey('k1', 500);
    expect(await oidc.signingKeys()).toEqual([
      { kid: 'k1', algorithm: 'RS256', privateKey: 'pem-1', createdAt: 1, activatesAt: undefined, retiresAt: 500 },
      { kid: 'k2', algorithm: 'RS256', privateKey: 'pem-2', createdAt: 2, activatesAt: 100, retiresAt: undefined },
    ]);
    expect(await oidc.deleteRetiredSigningKeys(499)).toEqual([]);
    expect(await oidc.deleteRetiredSigningKeys(500)).toEqual(['k1']);
    expect((await oidc.signingKeys()).map((k) => k.kid)).toEqual(['k2']);
  });

  it('stores a first key of an algorithm only when there is none of it', async () => {
    const { oidc } = await db.open();
    expect(await oidc.addSigningKeyIfNone({ kid: 'k1', algorithm: 'RS256', privateKey: 'pem-1', createdAt: 1 })).toBe(true);
    expect(await oidc.addSigningKeyIfNone({ kid: 'k2', algorithm: 'RS256', privateKey: 'pem-2', createdAt: 2 })).toBe(false);
    expect(await oidc.addSigningKeyIfNone({ kid: 'k3', algorithm: 'ES256', privateKey: 'pem-3', createdAt: 3, activatesAt: 5 })).toBe(true);
    expect((await oidc.signingKeys()).map((k) => [k.kid, k.privateKey, k.activatesAt])).toEqual([
      ['k1', 'pem-1', undefined],
      ['k3', 'pem-3', 5],
    ]);
  });

  it('stores one first key when instances add theirs at the same moment', async () => {
    const store = await db.store();
    const instances = await Promise.all([store.open(), store.open(), store.open()]);
    const stored = await Promise.all(
      instances.map((s, i) => s.oidc.addSigningKeyIfNone({ kid: `k${i}`, algorithm: 'RS256', privateKey: `pem-${i}`, createdAt: 1 })),
    );
    expect(stored.filter(Boolean)).toHaveLength(1);
    expect(await instances[1]!.oidc.signingKeys()).toHaveLength(1);
  });

  it('gives each user one subject per sector, created once', async () => {
    const { oidc } = await db.open();
    let n = 0;
    const fresh = () => `subject-${++n}`;
    expect(await oidc.subjectFor('john', '', fresh, 1)).toBe('subject-1');
    expect(await oidc.subjectFor('john', '', fresh, 2)).toBe('subject-1');
    expect(await oidc.subjectFor('john', 'app.example.com', fresh, 3)).toBe('subject-2');
    expect(await oidc.subjectFor('bob', '', fresh, 4)).toBe('subject-3');
    expect(n).toBe(3);
  });

  it('agrees on one subject when two instances create it at the same moment', async () => {
    const store = await db.store();
    const [a, b] = [await store.open(), await store.open()];
    const subjects = await Promise.all([a.oidc.subjectFor('john', '', () => 'from-a', 1), b.oidc.subjectFor('john', '', () => 'from-b', 1)]);
    expect(subjects[0]).toBe(subjects[1]);
  });

  it('saves, replaces, finds until expiry and deletes a pending authorization', async () => {
    const { oidc } = await db.open();
    const pending = {
      idHash: 'p1',
      clientId: 'app',
      parameters: { scope: 'openid', state: 'xyz', redirect_uri: 'https://app/cb' },
      loginAfter: undefined,
      consent: undefined,
      createdAt: 10,
      expiresAt: 100,
    };
    await oidc.savePending(pending);
    expect(await oidc.findPending('p1', 99)).toEqual(pending);
    expect(await oidc.findPending('p1', 100)).toBeUndefined();
    const answered = { ...pending, loginAfter: 50, consent: { username: 'john', granted: true } };
    await oidc.savePending(answered);
    expect(await oidc.findPending('p1', 60)).toEqual(answered);
    await oidc.deletePending('p1');
    expect(await oidc.findPending('p1', 60)).toBeUndefined();
  });

  it('remembers consents for an exact scope set, lists and deletes them', async () => {
    const { oidc } = await db.open();
    await oidc.saveConsent('john', 'app', ['openid', 'offline_access', 'email'], 10, 1000);
    await oidc.saveConsent('john', 'other', ['openid'], 20, 1000);
    await oidc.saveConsent('john', 'gone', ['openid'], 5, 50);
    await oidc.saveConsent('bob', 'app', ['openid'], 30, 1000);
    expect(await oidc.hasConsent('john', 'app', ['email', 'openid', 'offline_access', 'email'], 100)).toBe(true);
    expect(await oidc.hasConsent('john', 'app', ['openid'], 100)).toBe(false);
    expect(await oidc.hasConsent('john', 'gone', ['openid'], 50)).toBe(false);
    expect(await oidc.consentsOf('john', 100)).toEqual([
      { clientId: 'other', scopes: ['openid'], grantedAt: 20, expiresAt: 1000 },
      { clientId: 'app', scopes: ['email', 'offline_access', 'openid'], grantedAt: 10, expiresAt: 1000 },
    ]);
    // Saving again renews it.
    await oidc.saveConsent('john', 'gone', ['openid'], 60, 2000);
    expect(await oidc.hasConsent('john', 'gone', ['openid'], 1500)).toBe(true);
    expect(await oidc.deleteConsents('john', 'app')).toBe(1);
    expect(await oidc.hasConsent('john', 'other', ['openid'], 100)).toBe(true);
    expect(await oidc.deleteConsents('john', undefined)).toBe(2);
    expect(await oidc.consentsOf('john', 100)).toEqual([]);
    expect(await oidc.consentsOf('bob', 100)).toHaveLength(1);
  });

  it('refuses a replayed client assertion id until it expires', async () => {
    const { oidc } = await db.open();
    expect(await oidc.recordJti('app', 'j1', 100, 10)).toBe(true);
    expect(await oidc.recordJti('app', 'j1', 200, 50)).toBe(false);
    expect(await oidc.recordJti('other', 'j1', 100, 50)).toBe(true);
    expect(await oidc.recordJti('app', 'j1', 300, 100)).toBe(true);
  });

  it('keeps an audit trail, newest first', async () => {
    const { oidc } = await db.open();
    await oidc.audit(event({ time: 5, event: 'code', detail: 'a' }));
    await oidc.audit(event({ time: 5, event: 'access_token', detail: 'b' }));
    await oidc.audit(event({ time: 6, event: 'grant_revoked', grantId: '', detail: 'c' }));
    expect(await oidc.auditTrail(2)).toEqual([event({ time: 6, event: 'grant_revoked', grantId: '', detail: 'c' }), event({ time: 5, detail: 'b' })]);
  });
});

describe.each(storageBackends)('OIDC codes, grants and tokens ($name)', (backend) => {
  const db = useBackend(backend);

  it('finds a code and consumes it once', async () => {
    const { oidc } = await db.open();
    await oidc.saveCode(code());
    expect(await oidc.findCode('c1')).toEqual({ code: code(), used: false });
    expect(await oidc.consumeCode('c1', 5)).toEqual({ code: code(), firstUse: true });
    expect(await oidc.consumeCode('c1', 6)).toEqual({ code: code(), firstUse: false });
    expect(await oidc.findCode('c1')).toEqual({ code: code(), used: true });
    expect(await oidc.consumeCode('nope', 5)).toBeUndefined();
    expect(await oidc.findCode('nope')).toBeUndefined();
  });

  it('keeps a code without optional data as it was', async () => {
    const { oidc } = await db.open();
    const bare = code({
      data: { ...codeData, nonce: undefined, codeChallenge: undefined, codeChallengeMethod: undefined, claimsRequest: undefined, sid: undefined },
    });
    await oidc.saveCode(bare);
    expect((await oidc.findCode('c1'))?.code).toEqual(bare);
  });

  it('stores grants and lists a user’s live grants newest first', async () => {
    const { oidc } = await db.open();
    await oidc.saveGrant(grant());
    await oidc.saveGrant(grant({ grantId: 'g2', clientId: 'other', createdAt: 2000 }));
    await oidc.saveGrant(grant({ grantId: 'g3', expiresAt: 1500 }));
    const claims = grant({ grantId: 'g4', createdAt: 500, data: { ...grant().data, claimsRequest: '{"userinfo":{}}', idTokenAudience: ['app', 'x'] } });
    await oidc.saveGrant(claims);
    expect(await oidc.findGrant('g1')).toEqual(grant());
    expect(await oidc.findGrant('g4')).toEqual(claims);
    expect(await oidc.findGrant('nope')).toBeUndefined();
    expect((await oidc.grantsOf('john', 2000)).map((g) => g.grantId)).toEqual(['g2', 'g1', 'g4']);
  });

  it('stores and finds tokens of both formats', async () => {
    const { oidc } = await db.open();
    await oidc.saveToken(token());
    await oidc.saveToken(token({ tokenHash: 'a1', kind: 'access', format: 'jwt', audience: ['https://api', 'app'], revokedAt: 7 }));
    expect(await oidc.findToken('r1')).toEqual({ ...token(), format: 'opaque', audience: [], rotatedAt: undefined, successorHash: undefined });
    expect(await oidc.findToken('a1')).toEqual({
      ...token({ tokenHash: 'a1', kind: 'access', format: 'jwt', audience: ['https://api', 'app'], revokedAt: 7 }),
      rotatedAt: undefined,
      successorHash: undefined,
    });
    expect(await oidc.findToken('nope')).toBeUndefined();
  });

  it('rotates a refresh token once, atomically, and remembers the first use and the successor', async () => {
    const { oidc } = await db.open();
    await oidc.saveToken(token());
    const first = await oidc.rotateRefreshToken('r1', 2000);
    const second = await oidc.rotateRefreshToken('r1', 3000);
    expect([first?.firstUse, first?.rotatedAt, second?.firstUse, second?.rotatedAt]).toEqual([true, 2000, false, 2000]);
    await oidc.setSuccessor('r1', 'r2');
    expect(await oidc.findToken('r1')).toMatchObject({ rotatedAt: 2000, successorHash: 'r2', format: 'opaque', audience: [] });
    expect(await oidc.rotateRefreshToken('nope', 2000)).toBeUndefined();
    // An access token is never "rotated".
    await oidc.saveToken(token({ tokenHash: 'a1', kind: 'access', format: 'jwt', audience: ['https://api'] }));
    expect((await oidc.rotateRefreshToken('a1', 2000))?.firstUse).toBe(false);
    expect(await oidc.findToken('a1')).toMatchObject({ format: 'jwt', audience: ['https://api'], rotatedAt: undefined });
  });

  it('revokes one token, a grant with all its tokens, and every grant of a user for a client', async () => {
    const { oidc } = await db.open();
    await oidc.saveGrant(grant());
    await oidc.saveGrant(grant({ grantId: 'g2', clientId: 'other' }));
    await oidc.saveToken(token());
    await oidc.saveToken(token({ tokenHash: 'a1', kind: 'access' }));
    await oidc.saveToken(token({ tokenHash: 'a2', kind: 'access', grantId: 'g2', clientId: 'other' }));
    expect(await oidc.revokeToken('a1', 5)).toBe(true);
    expect(await oidc.revokeToken('a1', 6)).toBe(false);
    expect(await oidc.revokeToken('nope', 6)).toBe(false);
    expect(await oidc.revokeGrant('g1', 7)).toBe(1);
    expect(await oidc.revokeGrant('g1', 8)).toBe(0);
    expect((await oidc.findGrant('g1'))?.revokedAt).toBe(7);
    expect((await oidc.findToken('r1'))?.revokedAt).toBe(7);
    expect((await oidc.findToken('a1'))?.revokedAt).toBe(5);
    expect(await oidc.revokeGrantsOf('john', 'other', 8)).toBe(1);
    expect((await oidc.findToken('a2'))?.revokedAt).toBe(8);
    expect(await oidc.revokeGrantsOf('john', undefined, 9)).toBe(0);
    expect(await oidc.grantsOf('john', 10)).toEqual([]);
  });

  it('revokes every grant of a user, of every client', async () => {
    const { oidc } = await db.open();
    await oidc.saveGrant(grant());
    await oidc.saveGrant(grant({ grantId: 'g2', clientId: 'other' }));
    await oidc.saveGrant(grant({ grantId: 'g3', username: 'bob' }));
    await oidc.saveToken(token({ tokenHash: 'a2', kind: 'access', grantId: 'g2', clientId: 'other' }));
    expect(await oidc.revokeGrantsOf('john', undefined, 9)).toBe(2);
    expect((await oidc.findToken('a2'))?.revokedAt).toBe(9);
    expect((await oidc.grantsOf('bob', 10)).map((g) => g.grantId)).toEqual(['g3']);
  });

  it('reads a token with its grant in one query, and without one when the grant is gone', async () => {
    const { oidc } = await db.open();
    await oidc.saveGrant(grant({ sid: 'sid-9', revokedAt: 3 }));
    await oidc.saveToken(token());
    await oidc.saveToken(token({ tokenHash: 'orphan', grantId: 'none' }));
    expect(await oidc.findTokenWithGrant('r1')).toEqual({ token: await oidc.findToken('r1'), grant: grant({ sid: 'sid-9', revokedAt: 3 }) });
    expect((await oidc.findTokenWithGrant('orphan'))?.grant).toBeUndefined();
    expect(await oidc.findTokenWithGrant('nope')).toBeUndefined();
  });

  it('stores what one token request issued together', async () => {
    const { oidc } = await db.open();
    await oidc.saveIssued({
      grant: grant({ grantId: 'cc', username: '' }),
      tokens: [token({ tokenHash: 'a1', kind: 'access', grantId: 'cc', username: '' })],
      audit: event(),
    });
    await oidc.saveIssued({ tokens: [token({ tokenHash: 'a2', kind: 'access' }), token({ tokenHash: 'r2' })] });
    expect((await oidc.findGrant('cc'))?.username).toBe('');
    expect((await Promise.all(['a1', 'a2', 'r2'].map((h) => oidc.findToken(h)))).map((t) => t?.tokenHash)).toEqual(['a1', 'a2', 'r2']);
    expect(await oidc.auditTrail(10)).toEqual([event()]);
  });

  it('stores nothing of a token request when one part fails', async () => {
    const { oidc } = await db.open();
    await oidc.saveToken(token({ tokenHash: 'taken' }));
    await expect(oidc.saveIssued({ grant: grant(), tokens: [token({ tokenHash: 'a1' }), token({ tokenHash: 'taken' })], audit: event() })).rejects.toThrow();
    expect([await oidc.findGrant('g1'), await oidc.findToken('a1'), ...(await oidc.auditTrail(10))]).toEqual([undefined, undefined]);
  });

  it('redeems a code once, storing its grant, tokens and audit only then', async () => {
    const { oidc } = await db.open();
    await oidc.saveCode(code());
    const issued = { grant: grant(), tokens: [token({ tokenHash: 'a1', kind: 'access' as const }), token()], audit: event() };
    expect(await oidc.redeemCode('c1', 2, issued)).toEqual({ code: code(), firstUse: true });
    expect(await oidc.redeemCode('c1', 3, { ...issued, tokens: [token({ tokenHash: 'a2', kind: 'access' as const })] })).toEqual({
      code: code(),
      firstUse: false,
    });
    expect([await oidc.findToken('a1'), await oidc.findToken('r1'), await oidc.findToken('a2')].map((t) => t?.tokenHash)).toEqual(['a1', 'r1', undefined]);
    expect(await oidc.findGrant('g1')).toEqual(grant());
    expect(await oidc.auditTrail(10)).toHaveLength(1);
    expect(await oidc.redeemCode('nope', 2, issued)).toBeUndefined();
    expect((await oidc.findCode('c1'))?.used).toBe(true);
  });

  it('redeems a code at most once when instances redeem it at the same moment', async () => {
    const store = await db.store();
    const instances = await Promise.all([store.open(), store.open(), store.open()]);
    await instances[0]!.oidc.saveCode(code());
    const outcomes = await Promise.all(
      instances.flatMap((s, i) =>
        [0, 1].map((j) =>
          s.oidc.redeemCode('c1', 2, {
            grant: grant({ grantId: `g-${i}-${j}` }),
            tokens: [token({ tokenHash: `a-${i}-${j}`, kind: 'access' })],
            audit: event({ detail: `${i}-${j}` }),
          }),
        ),
      ),
    );
    expect(outcomes.filter((o) => o?.firstUse)).toHaveLength(1);
    expect(await instances[2]!.oidc.auditTrail(10)).toHaveLength(1);
    expect(await instances[2]!.oidc.grantsOf('john', 10)).toHaveLength(1);
  });

  it('leaves a code unused when storing what it issued fails', async () => {
    const { oidc } = await db.open();
    await oidc.saveCode(code());
    await oidc.saveToken(token({ tokenHash: 'taken' }));
    await expect(oidc.redeemCode('c1', 2, { grant: grant(), tokens: [token({ tokenHash: 'taken' })], audit: event() })).rejects.toThrow();
    expect((await oidc.findCode('c1'))?.used).toBe(false);
    expect(await oidc.findGrant('g1')).toBeUndefined();
  });

  it('redeems a refresh token: first use stores the successor and the new tokens; within the grace stores them too; after it nothing', async () => {
    const { oidc } = await db.open();
    await oidc.saveToken(token());
    const audit = (firstUse: boolean, rotatedAt: number) => event({ event: firstUse ? 'rotated' : 'grace', detail: String(rotatedAt) });
    const redeem = (now: number, hash: string) =>
      oidc.redeemRefreshToken({ tokenHash: 'r1', now, successorHash: hash, reuseGrace: 1000, tokens: [token({ tokenHash: hash })], audit });
    expect(await redeem(2000, 'r2')).toMatchObject({ outcome: 'rotated', rotatedAt: 2000, token: { tokenHash: 'r1', rotatedAt: 2000, successorHash: 'r2' } });
    expect(await redeem(2500, 'r3')).toMatchObject({ outcome: 'within-grace', rotatedAt: 2000 });
    expect(await redeem(3000, 'r4')).toMatchObject({ outcome: 'replayed', rotatedAt: 2000 });
    expect((await oidc.findToken('r1'))?.successorHash).toBe('r2');
    expect([await oidc.findToken('r2'), await oidc.findToken('r3'), await oidc.findToken('r4')].map((t) => t?.tokenHash)).toEqual(['r2', 'r3', undefined]);
    expect((await oidc.auditTrail(10)).map((e) => [e.event, e.detail])).toEqual([
      ['grace', '2000'],
      ['rotated', '2000'],
    ]);
    expect(await oidc.redeemRefreshToken({ tokenHash: 'nope', now: 1, successorHash: 'x', reuseGrace: 0, tokens: [], audit })).toBeUndefined();
    await oidc.saveToken(token({ tokenHash: 'a1', kind: 'access' }));
    expect(
      await oidc.redeemRefreshToken({ tokenHash: 'a1', now: 1, successorHash: 'x', reuseGrace: 0, tokens: [token({ tokenHash: 'x' })], audit }),
    ).toBeUndefined();
    expect(await oidc.findToken('x')).toBeUndefined();
  });

  it('rotates a refresh token once when instances redeem it at the same moment', async () => {
    const store = await db.store();
    const instances = await Promise.all([store.open(), store.open(), store.open()]);
    await instances[0]!.oidc.saveToken(token());
    const outcomes = await Promise.all(
      instances.flatMap((s, i) =>
        [0, 1].map((j) =>
          s.oidc.redeemRefreshToken({
            tokenHash: 'r1',
            now: 2000,
            successorHash: `r-${i}-${j}`,
            reuseGrace: 0,
            tokens: [token({ tokenHash: `r-${i}-${j}` })],
            audit: () => undefined,
          }),
        ),
      ),
    );
    expect(outcomes.map((o) => o?.outcome).sort()).toEqual(['replayed', 'replayed', 'replayed', 'replayed', 'replayed', 'rotated']);
    const winner = outcomes.find((o) => o?.outcome === 'rotated')!.token.successorHash!;
    expect((await instances[1]!.oidc.findToken('r1'))?.successorHash).toBe(winner);
    const issued = await Promise.all(instances.flatMap((_, i) => [0, 1].map((j) => instances[0]!.oidc.findToken(`r-${i}-${j}`))));
    expect(issued.filter(Boolean).map((t) => t?.tokenHash)).toEqual([winner]);
  });

  it('purges what has expired, and only that', async () => {
    const { oidc } = await db.open();
    await oidc.savePending({ idHash: 'p', clientId: 'app', parameters: {}, loginAfter: undefined, consent: undefined, createdAt: 0, expiresAt: 10 });
    await oidc.saveCode(code({ expiresAt: 10 }));
    await oidc.saveConsent('john', 'app', ['openid'], 0, 10);
    await oidc.recordJti('app', 'j', 10, 0);
    await oidc.saveGrant(grant({ expiresAt: 10 }));
    await oidc.saveGrant(grant({ grantId: 'live', expiresAt: 11 }));
    await oidc.saveToken(token({ expiresAt: 10 }));
    await oidc.saveToken(token({ tokenHash: 'live', expiresAt: 11 }));
    expect(await oidc.purgeExpired(9)).toBe(0);
    expect(await oidc.purgeExpired(10)).toBe(6);
    expect(await oidc.purgeExpired(10)).toBe(0);
    expect([await oidc.findGrant('live'), await oidc.findToken('live')].map((x) => x !== undefined)).toEqual([true, true]);
    expect(await oidc.findCode('c1')).toBeUndefined();
  });
});

describe.each(storageBackends)('single logout storage ($name)', (backend) => {
  const db = useBackend(backend);

  it('finds the live grants of a browser session by its sid', async () => {
    const { oidc } = await db.open();
    await oidc.saveGrant(grant({ grantId: 'g1', sid: 's1' }));
    await oidc.saveGrant(grant({ grantId: 'g2', sid: 's1', clientId: 'other' }));
    await oidc.saveGrant(grant({ grantId: 'g3', sid: 's2' }));
    await oidc.saveGrant(grant({ grantId: 'g4', sid: 's1', expiresAt: 10 }));
    await oidc.revokeGrant('g2', 5);
    expect(await oidc.grantsOfSession('s1', 10)).toEqual([grant({ grantId: 'g1', sid: 's1' })]);
    expect(await oidc.grantsOfSession('', 10)).toEqual([]);
  });

  it('queues back-channel deliveries durably: due ones first, failures postponed, expired ones given up', async () => {
    const { oidc } = await db.open();
    const base = { clientId: 'app', uri: 'https://app/logout', issuer: 'https://auth', subject: 'sub', sid: 's1', reason: 'logout', createdAt: 0 };
    const a = await oidc.enqueueLogout({ ...base, jti: 'j1', nextAttemptAt: 10, expiresAt: 1000 });
    const b = await oidc.enqueueLogout({ ...base, jti: 'j2', nextAttemptAt: 20, expiresAt: 100 });
    expect(b).not.toBe(a);
    expect(await oidc.pendingLogouts()).toBe(2);
    expect(await oidc.dueLogouts(15, 10)).toEqual([{ ...base, id: a, jti: 'j1', nextAttemptAt: 10, expiresAt: 1000, attempts: 0, lastError: '' }]);
    expect((await oidc.dueLogouts(25, 1)).map((d) => d.jti)).toEqual(['j1']);
    await oidc.logoutFailed(a, 500, `HTTP 500 ${'x'.repeat(600)}`);
    expect((await oidc.dueLogouts(50, 10)).map((d) => d.jti)).toEqual(['j2']);
    expect(await oidc.dropExpiredLogouts(100)).toMatchObject([{ id: b, jti: 'j2' }]);
    const [retried] = await oidc.dueLogouts(500, 10);
    expect(retried).toMatchObject({ id: a, attempts: 1 });
    expect(retried?.lastError).toHaveLength(500);
    // Past its expiry a delivery is no longer due, even when its retry time has come.
    expect(await oidc.dueLogouts(1000, 10)).toEqual([]);
    await oidc.logoutDelivered(a);
    expect(await oidc.pendingLogouts()).toBe(0);
  });

  it('claims due deliveries once across instances: one per client per claim, skipped clients left, leased until the lease ends', async () => {
    const store = await db.store();
    const instances = await Promise.all([store.open(), store.open(), store.open()]);
    const { oidc } = instances[0]!;
    const base = { uri: 'https://app/logout', issuer: 'https://auth', subject: 'sub', sid: 's1', reason: 'logout', createdAt: 0, expiresAt: 10_000 };
    for (let i = 0; i < 10; i++) await oidc.enqueueLogout({ ...base, clientId: `c${i % 5}`, jti: `j${i}`, nextAttemptAt: i });
    // One per client, oldest first, none of the skipped client.
    const first = await oidc.claimLogouts(100, 10, 1_000, ['c0']);
    expect(first.map((d) => [d.clientId, d.jti, d.nextAttemptAt])).toEqual([
      ['c1', 'j1', 1_000],
      ['c2', 'j2', 1_000],
      ['c3', 'j3', 1_000],
      ['c4', 'j4', 1_000],
    ]);
    // Instances claiming at the same moment never get the same row.
    const claims = await Promise.all(instances.map((s) => s.oidc.claimLogouts(100, 10, 1_000, [])));
    const ids = claims.flat().map((d) => d.jti);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.every((j) => ['j0', 'j5', 'j6', 'j7', 'j8', 'j9'].includes(j))).toBe(true);
    // Leased rows are not due before their lease ends (rows the racing claims left are); after
    // it, all ten are due again.
    const leased = new Set([...first, ...claims.flat()].map((d) => d.jti));
    const early = await oidc.claimLogouts(999, 10, 2_000, []);
    expect(early.filter((d) => leased.has(d.jti))).toEqual([]);
    let again = early.length;
    for (let pass = 0; pass < 10; pass++) again += (await oidc.claimLogouts(1_000, 10, 3_000, [])).length;
    expect(again).toBe(10);
  });
});
