import { describe, expect, it } from 'vitest';
import { client, issuer, secret } from '../helpers/oidc.js';
import { configFor, refusal, signIn, startRefreshProvider, storedAccess, storedRefresh, userinfoStatus } from './refresh-helpers.js';

const grace = 5_000;

describe('refresh tokens with openid-client', () => {
  it('rotates on every use; the refreshed ID token keeps iss, sub, aud, auth_time, amr and azp, with a new iat and no nonce', async () => {
    const w = await startRefreshProvider();
    const config = await configFor(w, 'offline');
    const { tokens } = await signIn(w, config);
    expect(tokens.refresh_token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(tokens.scope).toBe('openid profile email offline_access');
    const first = tokens.claims()!;
    expect(first.nonce).toEqual(expect.any(String));
    w.clock.advance(60_000);
    const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token!);
    expect(refreshed.refresh_token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(refreshed.refresh_token).not.toBe(tokens.refresh_token);
    expect(refreshed.access_token).not.toBe(tokens.access_token);
    expect([refreshed.scope, refreshed.expires_in]).toEqual(['openid profile email offline_access', 3600]);
    const again = refreshed.claims()!;
    for (const claim of ['iss', 'sub', 'aud', 'auth_time', 'amr', 'azp'] as const) expect(again[claim]).toEqual(first[claim]);
    expect(again.iss).toBe(issuer);
    expect(again.iat).toBe(first.iat + 60);
    expect(again.nonce).toBeUndefined();
    expect(again.jti).not.toBe(first.jti);
    expect((await client.fetchUserInfo(config, refreshed.access_token, again.sub)).email).toBe('john.doe@gatehouse.localhost');
    // The used token is marked rotated with its successor; the new one refreshes in turn.
    const old = await storedRefresh(w, tokens.refresh_token!);
    const next = await storedRefresh(w, refreshed.refresh_token!);
    expect(old).toMatchObject({ rotatedAt: w.clock.now(), successorHash: next?.tokenHash, revokedAt: undefined });
    expect(next).toMatchObject({ grantId: old?.grantId, scopes: ['openid', 'profile', 'email', 'offline_access'], expiresAt: w.clock.now() + 5_400_000 });
    w.clock.advance(60_000);
    const third = await client.refreshTokenGrant(config, refreshed.refresh_token!);
    expect(third.claims()!.sub).toBe(first.sub);
    const trail = (await w.gateway.storage.oidc.auditTrail(10)).map((e) => [e.event, e.detail]);
    expect(trail.slice(0, 3)).toEqual([
      ['refresh_token', 'rotated'],
      ['refresh_token', 'rotated'],
      ['access_token', 'with id_token, with refresh_token'],
    ]);
  });

  it('answers a refresh with JSON, no-store and a refresh token the way the conformance suite checks (oidcc-refresh-token)', async () => {
    const w = await startRefreshProvider();
    const { tokens } = await signIn(w, await configFor(w, 'offline'));
    const response = await w.fetch(`${issuer}/api/oidc/token`, {
      method: 'POST',
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token! }).toString(),
      headers: { authorization: `Basic ${Buffer.from(`offline:${secret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json; charset=utf-8/);
    expect([response.headers.get('cache-control'), response.headers.get('pragma')]).toEqual(['no-store', 'no-cache']);
    expect(Object.keys((await response.json()) as object).sort()).toEqual(['access_token', 'expires_in', 'id_token', 'refresh_token', 'scope', 'token_type']);
  });

  it('revokes the whole grant when a rotated token is replayed after the reuse grace: the access token of the latest rotation is dead too', async () => {
    const w = await startRefreshProvider();
    const config = await configFor(w, 'offline');
    const { tokens } = await signIn(w, config);
    const second = await client.refreshTokenGrant(config, tokens.refresh_token!);
    w.clock.advance(1_000);
    const latest = await client.refreshTokenGrant(config, second.refresh_token!);
    expect(await userinfoStatus(w, latest.access_token)).toBe(200);
    w.clock.advance(grace);
    expect(await refusal(client.refreshTokenGrant(config, tokens.refresh_token!))).toEqual({
      error: 'invalid_grant',
      description: 'The refresh token was already used; every token of this authorization is revoked.',
    });
    for (const access of [tokens.access_token, second.access_token, latest.access_token]) expect(await userinfoStatus(w, access)).toBe(401);
    expect((await refusal(client.refreshTokenGrant(config, latest.refresh_token!))).error).toBe('invalid_grant');
    expect((await storedRefresh(w, latest.refresh_token!))?.revokedAt).toBe(w.clock.now());
    const [reuse] = await w.gateway.storage.oidc.auditTrail(1);
    expect(reuse).toMatchObject({
      event: 'refresh_token_reuse',
      clientId: 'offline',
      username: 'john',
      detail: 'used again 6000 ms after its rotation; revoked 6 token(s)',
    });
  });

  it('answers a concurrent refresh with the previous token within the reuse grace with working tokens of the same grant', async () => {
    const w = await startRefreshProvider();
    const config = await configFor(w, 'offline');
    const { tokens } = await signIn(w, config);
    // Two refreshes at the same instant (two tabs, two replicas of an app), then a late retry within the grace.
    const [a, b] = await Promise.all([client.refreshTokenGrant(config, tokens.refresh_token!), client.refreshTokenGrant(config, tokens.refresh_token!)]);
    w.clock.advance(grace - 1);
    const c = await client.refreshTokenGrant(config, tokens.refresh_token!);
    const all = [a, b, c];
    expect(new Set(all.map((t) => t.refresh_token)).size).toBe(3);
    const grantId = (await storedRefresh(w, tokens.refresh_token!))?.grantId;
    for (const t of all) {
      expect(await userinfoStatus(w, t.access_token)).toBe(200);
      expect((await storedRefresh(w, t.refresh_token!))?.grantId).toBe(grantId);
      expect(t.claims()!.sub).toBe(tokens.claims()!.sub);
    }
    const events = (await w.gateway.storage.oidc.auditTrail(3)).map((e) => e.detail);
    expect(events.filter((d) => d.startsWith('used again')).length).toBe(2);
    // Each branch rotates on its own; a replay after the grace still revokes every branch.
    const onward = await client.refreshTokenGrant(config, b.refresh_token!);
    w.clock.advance(2);
    expect((await refusal(client.refreshTokenGrant(config, tokens.refresh_token!))).error).toBe('invalid_grant');
    for (const t of [...all, onward]) expect(await userinfoStatus(w, t.access_token)).toBe(401);
  });

  it("refuses client A's refresh token at client B with invalid_grant and revokes nothing (oidcc-refresh-token)", async () => {
    const w = await startRefreshProvider();
    const a = await configFor(w, 'offline');
    const b = await configFor(w, 'offline-b');
    const { tokens } = await signIn(w, a);
    expect(await refusal(client.refreshTokenGrant(b, tokens.refresh_token!))).toEqual({
      error: 'invalid_grant',
      description: 'The refresh token was issued to another client.',
    });
    expect(await storedRefresh(w, tokens.refresh_token!)).toMatchObject({ rotatedAt: undefined, revokedAt: undefined });
    expect(await userinfoStatus(w, tokens.access_token)).toBe(200);
    expect((await client.refreshTokenGrant(a, tokens.refresh_token!)).refresh_token).toBeDefined();
  });

  it('refuses a widened scope with invalid_scope and leaves the token unused; a narrowed scope gets fewer, and the next refresh all again', async () => {
    const w = await startRefreshProvider();
    const config = await configFor(w, 'offline');
    const { tokens } = await signIn(w, config, { scope: 'openid email offline_access' });
    expect(await refusal(client.refreshTokenGrant(config, tokens.refresh_token!, { scope: 'openid email groups' }))).toEqual({
      error: 'invalid_scope',
      description: "The scope 'groups' was not granted; a refresh may only narrow the scope.",
    });
    expect((await storedRefresh(w, tokens.refresh_token!))?.rotatedAt).toBeUndefined();
    const narrowed = await client.refreshTokenGrant(config, tokens.refresh_token!, { scope: 'openid' });
    expect(narrowed.scope).toBe('openid');
    expect(await client.fetchUserInfo(config, narrowed.access_token, tokens.claims()!.sub)).toEqual({ sub: tokens.claims()!.sub });
    const noOpenid = await client.refreshTokenGrant(config, narrowed.refresh_token!, { scope: 'email' });
    expect([noOpenid.scope, noOpenid.id_token]).toEqual(['email', undefined]);
    expect(await userinfoStatus(w, noOpenid.access_token)).toBe(403);
    const full = await client.refreshTokenGrant(config, noOpenid.refresh_token!);
    expect(full.scope).toBe('openid email offline_access');
  });

  it('refuses a refresh past the grant’s absolute lifetime (lifespans.grant); no token outlives the grant', async () => {
    const w = await startRefreshProvider({ lifespans: { grant: '10m', refresh_token: '1h', access_token: '1h' } });
    const config = await configFor(w, 'offline');
    const { tokens } = await signIn(w, config);
    const issued = await storedRefresh(w, tokens.refresh_token!);
    const grant = await w.gateway.storage.oidc.findGrant(issued!.grantId);
    expect(issued?.expiresAt).toBe(grant?.expiresAt);
    w.clock.advance(9 * 60_000);
    const late = await client.refreshTokenGrant(config, tokens.refresh_token!);
    expect(late.expires_in).toBe(60);
    expect((await storedAccess(w, late.access_token))?.expiresAt).toBe(grant?.expiresAt);
    w.clock.advance(60_000);
    expect((await refusal(client.refreshTokenGrant(config, late.refresh_token!))).error).toBe('invalid_grant');
  });

  it('a public client refreshes with PKCE and no secret; a client without the refresh_token grant gets no refresh token', async () => {
    const w = await startRefreshProvider();
    const publicApp = await configFor(w, 'offline-public');
    const { tokens } = await signIn(w, publicApp, { scope: 'openid offline', prompt: 'consent' });
    expect(tokens.scope).toBe('openid offline');
    const refreshed = await client.refreshTokenGrant(publicApp, tokens.refresh_token!);
    expect(refreshed.claims()!.aud).toBe('offline-public');
    const online = await configFor(w, 'online-only');
    const { tokens: plain } = await signIn(w, online, { prompt: 'consent' });
    expect([plain.refresh_token, plain.scope]).toEqual([undefined, 'openid profile email']);
  });
});
