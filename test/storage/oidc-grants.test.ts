import { describe, expect, it } from 'vitest';
import type { StoredGrant, StoredToken } from '../../src/storage/oidc-repositories.js';
import { memoryStorage } from '../helpers/storage.js';

const grant = (over: Partial<StoredGrant> = {}): StoredGrant => ({
  grantId: 'g1',
  clientId: 'app',
  username: 'john',
  subject: 'sub-1',
  scopes: ['openid', 'offline_access'],
  data: { issuer: 'https://auth.example.com', authTime: 1000, amr: ['pwd'], audience: ['app'] },
  createdAt: 1000,
  expiresAt: 100_000,
  revokedAt: undefined,
  sid: '',
  ...over,
});

const token = (over: Partial<StoredToken> = {}): StoredToken => ({
  tokenHash: 'r1',
  kind: 'refresh',
  grantId: 'g1',
  clientId: 'app',
  username: 'john',
  subject: 'sub-1',
  scopes: ['openid', 'offline_access'],
  issuedAt: 1000,
  expiresAt: 50_000,
  revokedAt: undefined,
  ...over,
});

describe('OIDC grants and token rotation (SQLite, migration 0004)', () => {
  it('stores grants and lists a user’s live grants newest first', async () => {
    const { oidc } = memoryStorage();
    await oidc.saveGrant(grant());
    await oidc.saveGrant(grant({ grantId: 'g2', clientId: 'other', createdAt: 2000 }));
    await oidc.saveGrant(grant({ grantId: 'g3', expiresAt: 1500 }));
    expect(await oidc.findGrant('g1')).toEqual(grant());
    expect((await oidc.grantsOf('john', 2000)).map((g) => g.grantId)).toEqual(['g2', 'g1']);
  });

  it('rotates a refresh token once, atomically, and remembers the first use and the successor', async () => {
    const { oidc } = memoryStorage();
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
    const { oidc } = memoryStorage();
    await oidc.saveGrant(grant());
    await oidc.saveGrant(grant({ grantId: 'g2', clientId: 'other' }));
    await oidc.saveToken(token());
    await oidc.saveToken(token({ tokenHash: 'a1', kind: 'access' }));
    await oidc.saveToken(token({ tokenHash: 'a2', kind: 'access', grantId: 'g2', clientId: 'other' }));
    expect(await oidc.revokeToken('a1', 5)).toBe(true);
    expect(await oidc.revokeToken('a1', 6)).toBe(false);
    expect(await oidc.revokeGrant('g1', 7)).toBe(1);
    expect((await oidc.findGrant('g1'))?.revokedAt).toBe(7);
    expect((await oidc.findToken('r1'))?.revokedAt).toBe(7);
    expect(await oidc.revokeGrantsOf('john', 'other', 8)).toBe(1);
    expect((await oidc.findToken('a2'))?.revokedAt).toBe(8);
  });

  it('deletes remembered consents per user and client', async () => {
    const { oidc } = memoryStorage();
    await oidc.saveConsent('john', 'app', ['openid'], 1, 1000);
    await oidc.saveConsent('john', 'other', ['openid'], 1, 1000);
    expect(await oidc.deleteConsents('john', 'app')).toBe(1);
    expect(await oidc.hasConsent('john', 'other', ['openid'], 2)).toBe(true);
    expect(await oidc.deleteConsents('john', undefined)).toBe(1);
  });

  it("lists a user's remembered consents that have not expired, newest first", async () => {
    const { oidc } = memoryStorage();
    await oidc.saveConsent('john', 'app', ['openid', 'offline_access', 'email'], 10, 1000);
    await oidc.saveConsent('john', 'other', ['openid'], 20, 1000);
    await oidc.saveConsent('john', 'gone', ['openid'], 5, 50);
    await oidc.saveConsent('bob', 'app', ['openid'], 30, 1000);
    expect(await oidc.consentsOf('john', 100)).toEqual([
      { clientId: 'other', scopes: ['openid'], grantedAt: 20, expiresAt: 1000 },
      { clientId: 'app', scopes: ['email', 'offline_access', 'openid'], grantedAt: 10, expiresAt: 1000 },
    ]);
    expect(await oidc.consentsOf('ann', 100)).toEqual([]);
  });

  it('stores a first key of an algorithm only when there is none of it', async () => {
    const { oidc } = memoryStorage();
    expect(await oidc.addSigningKeyIfNone({ kid: 'k1', algorithm: 'RS256', privateKey: 'pem-1', createdAt: 1 })).toBe(true);
    expect(await oidc.addSigningKeyIfNone({ kid: 'k2', algorithm: 'RS256', privateKey: 'pem-2', createdAt: 2 })).toBe(false);
    expect(await oidc.addSigningKeyIfNone({ kid: 'k3', algorithm: 'ES256', privateKey: 'pem-3', createdAt: 3, activatesAt: 5 })).toBe(true);
    expect((await oidc.signingKeys()).map((k) => [k.kid, k.privateKey, k.activatesAt])).toEqual([
      ['k1', 'pem-1', undefined],
      ['k3', 'pem-3', 5],
    ]);
  });

  it('keeps a retiring signing key until its time, then deletes it', async () => {
    const { oidc } = memoryStorage();
    await oidc.addSigningKey({ kid: 'k1', algorithm: 'RS256', privateKey: 'pem-1', createdAt: 1 });
    await oidc.addSigningKey({ kid: 'k2', algorithm: 'RS256', privateKey: 'pem-2', createdAt: 2, activatesAt: 100 });
    await oidc.retireSigningKey('k1', 500);
    expect((await oidc.signingKeys()).map((k) => [k.kid, k.activatesAt, k.retiresAt])).toEqual([
      ['k1', undefined, 500],
      ['k2', 100, undefined],
    ]);
    expect(await oidc.deleteRetiredSigningKeys(499)).toEqual([]);
    expect(await oidc.deleteRetiredSigningKeys(500)).toEqual(['k1']);
    expect((await oidc.signingKeys()).map((k) => k.kid)).toEqual(['k2']);
  });
});

describe('reading a token with its grant, and redeeming in one write', () => {
  it('reads a token with its grant in one query, and without one when the grant is gone', async () => {
    const { oidc } = memoryStorage();
    await oidc.saveGrant(grant());
    await oidc.saveToken(token());
    await oidc.saveToken(token({ tokenHash: 'orphan', grantId: 'none' }));
    expect(await oidc.findTokenWithGrant('r1')).toEqual({ token: await oidc.findToken('r1'), grant: grant() });
    expect((await oidc.findTokenWithGrant('orphan'))?.grant).toBeUndefined();
    expect(await oidc.findTokenWithGrant('nope')).toBeUndefined();
  });

  it('redeems a refresh token: first use stores the successor and the new tokens; within the grace stores them too; after it nothing', async () => {
    const { oidc } = memoryStorage();
    await oidc.saveToken(token());
    const audit = (firstUse: boolean) => ({ time: 1, event: firstUse ? 'rotated' : 'grace', clientId: 'app', username: 'john', grantId: 'g1', detail: '' });
    const redeem = (now: number, hash: string) =>
      oidc.redeemRefreshToken({ tokenHash: 'r1', now, successorHash: hash, reuseGrace: 1000, tokens: [token({ tokenHash: hash })], audit });
    expect((await redeem(2000, 'r2'))?.outcome).toBe('rotated');
    expect((await redeem(2500, 'r3'))?.outcome).toBe('within-grace');
    expect((await redeem(3000, 'r4'))?.outcome).toBe('replayed');
    expect((await oidc.findToken('r1'))?.successorHash).toBe('r2');
    expect([await oidc.findToken('r2'), await oidc.findToken('r3'), await oidc.findToken('r4')].map((t) => t?.tokenHash)).toEqual(['r2', 'r3', undefined]);
    expect((await oidc.auditTrail(10)).map((e) => e.event)).toEqual(['grace', 'rotated']);
  });

  it('redeems a code once, storing its grant and tokens only then', async () => {
    const { oidc } = memoryStorage();
    const data = {
      subject: 's',
      redirectUri: 'https://app/cb',
      scopes: ['openid'],
      nonce: undefined,
      codeChallenge: undefined,
      codeChallengeMethod: undefined,
      authTime: 1,
      amr: [],
      issuer: 'i',
    };
    await oidc.saveCode({ codeHash: 'c1', grantId: 'g1', clientId: 'app', username: 'john', data, issuedAt: 1, expiresAt: 100 });
    const issued = {
      grant: grant(),
      tokens: [token({ tokenHash: 'a1', kind: 'access' as const })],
      audit: { time: 1, event: 'access_token', clientId: 'app', username: 'john', grantId: 'g1', detail: '' },
    };
    expect((await oidc.redeemCode('c1', 2, issued))?.firstUse).toBe(true);
    expect((await oidc.redeemCode('c1', 3, { ...issued, tokens: [token({ tokenHash: 'a2', kind: 'access' as const })] }))?.firstUse).toBe(false);
    expect([await oidc.findToken('a1'), await oidc.findToken('a2')].map((t) => t?.tokenHash)).toEqual(['a1', undefined]);
    expect(await oidc.redeemCode('nope', 2, issued)).toBeUndefined();
  });
});

describe('single logout storage (migration 0005)', () => {
  it('finds the live grants of a browser session by its sid', async () => {
    const { oidc } = memoryStorage();
    await oidc.saveGrant(grant({ grantId: 'g1', sid: 's1' }));
    await oidc.saveGrant(grant({ grantId: 'g2', sid: 's1', clientId: 'other' }));
    await oidc.saveGrant(grant({ grantId: 'g3', sid: 's2' }));
    await oidc.revokeGrant('g2', 5);
    expect((await oidc.grantsOfSession('s1', 10)).map((g) => g.grantId)).toEqual(['g1']);
    expect(await oidc.grantsOfSession('', 10)).toEqual([]);
  });

  it('queues back-channel deliveries durably: due ones first, failures postponed, expired ones given up', async () => {
    const { oidc } = memoryStorage();
    const base = { clientId: 'app', uri: 'https://app/logout', issuer: 'https://auth', subject: 'sub', sid: 's1', reason: 'logout', createdAt: 0 };
    const a = await oidc.enqueueLogout({ ...base, jti: 'j1', nextAttemptAt: 10, expiresAt: 1000 });
    const b = await oidc.enqueueLogout({ ...base, jti: 'j2', nextAttemptAt: 20, expiresAt: 100 });
    expect((await oidc.dueLogouts(15, 10)).map((d) => d.jti)).toEqual(['j1']);
    await oidc.logoutFailed(a, 500, 'HTTP 500');
    expect((await oidc.dueLogouts(50, 10)).map((d) => d.jti)).toEqual(['j2']);
    expect(await oidc.dropExpiredLogouts(100)).toMatchObject([{ id: b, jti: 'j2' }]);
    expect(await oidc.dueLogouts(500, 10)).toMatchObject([{ id: a, attempts: 1, lastError: 'HTTP 500' }]);
    await oidc.logoutDelivered(a);
    expect(await oidc.pendingLogouts()).toBe(0);
  });
});
