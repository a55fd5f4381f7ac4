import { describe, expect, it } from 'vitest';
import type { User } from '../../src/auth/users/user.js';
import type { OidcClientConfig } from '../../src/config/oidc.js';
import { OAuthError } from '../../src/oidc/errors.js';
import {
  checkBoundToClient,
  checkGrantLive,
  checkIssuer,
  checkScope,
  checkTokenLive,
  checkUser,
  type RefreshCheck,
  type RefreshContext,
  refreshChecks,
} from '../../src/oidc/grants/refresh-token-checks.js';
import type { StoredGrant, StoredToken } from '../../src/storage/oidc-repositories.js';

const now = 1_000_000;
const john: User = { username: 'john', displayName: 'John', emails: [], groups: [], profile: {} };
const grant: StoredGrant = {
  grantId: 'g1',
  clientId: 'app',
  username: 'john',
  subject: 'sub-1',
  scopes: ['openid', 'email', 'offline_access'],
  data: { issuer: 'https://auth.example.com', authTime: 1, amr: ['pwd'], audience: ['app'] },
  createdAt: 1,
  expiresAt: now + 1,
  revokedAt: undefined,
};
const token: StoredToken = {
  tokenHash: 'r1',
  kind: 'refresh',
  grantId: 'g1',
  clientId: 'app',
  username: 'john',
  subject: 'sub-1',
  scopes: grant.scopes,
  issuedAt: 1,
  expiresAt: now + 1,
  revokedAt: undefined,
};

function context(
  over: { client?: string; issuer?: string; scope?: string; token?: Partial<StoredToken>; grant?: Partial<StoredGrant>; user?: User } = {},
): RefreshContext {
  const users = new Map(over.user === undefined ? [['john', john]] : [[over.user.username, over.user]]);
  return {
    deps: { users: { get: async (username: string) => users.get(username) } },
    client: { id: over.client ?? 'app' } as OidcClientConfig,
    issuer: over.issuer ?? 'https://auth.example.com',
    now,
    token: { ...token, ...over.token },
    grant: { ...grant, ...over.grant },
    requestedScope: over.scope,
    scopes: [],
    user: undefined,
  };
}

/** The OAuth error a check refuses with, or 'ok'. */
async function outcome(check: RefreshCheck, ctx: RefreshContext): Promise<string> {
  try {
    await check(ctx);
    return 'ok';
  } catch (error) {
    if (error instanceof OAuthError) return `${error.error}: ${error.description}`;
    throw error;
  }
}

describe('refresh_token grant: the checks before a token is used', () => {
  it('runs in this order: client, token, grant, issuer, user, then scope', () => {
    expect(refreshChecks).toEqual([checkBoundToClient, checkTokenLive, checkGrantLive, checkIssuer, checkUser, checkScope]);
  });

  it.each([
    ['its client', checkBoundToClient, {}, 'ok'],
    ['another client', checkBoundToClient, { client: 'other' }, 'invalid_grant: The refresh token was issued to another client.'],
    ['a live token', checkTokenLive, {}, 'ok'],
    ['a revoked token', checkTokenLive, { token: { revokedAt: 5 } }, 'invalid_grant: The refresh token has been revoked.'],
    ['an expired token', checkTokenLive, { token: { expiresAt: now } }, 'invalid_grant: The refresh token has expired.'],
    ['a live grant', checkGrantLive, {}, 'ok'],
    [
      'a revoked grant (consent revoked, replay, user disabled)',
      checkGrantLive,
      { grant: { revokedAt: 5 } },
      'invalid_grant: The access granted to this application has been revoked; the user must sign in again.',
    ],
    [
      'a grant past its absolute lifetime',
      checkGrantLive,
      { grant: { expiresAt: now } },
      'invalid_grant: The access granted to this application has expired; the user must sign in again.',
    ],
    ['its issuer', checkIssuer, {}, 'ok'],
    ['another issuer', checkIssuer, { issuer: 'https://login.example.org' }, 'invalid_grant: The refresh token was issued by another issuer.'],
    ['an enabled user', checkUser, {}, 'ok'],
    [
      'a user disabled or gone from the users file',
      checkUser,
      { user: { ...john, username: 'bob' } },
      'invalid_grant: The user of this refresh token no longer exists or is disabled.',
    ],
    ['no scope', checkScope, {}, 'ok'],
    ['a narrower scope', checkScope, { scope: 'openid  email' }, 'ok'],
    ['the same scope', checkScope, { scope: 'offline_access email openid' }, 'ok'],
    [
      'a wider scope',
      checkScope,
      { scope: 'openid email profile groups' },
      "invalid_scope: The scope 'profile groups' was not granted; a refresh may only narrow the scope.",
    ],
    [
      'an alias of a granted scope',
      checkScope,
      { scope: 'openid offline' },
      "invalid_scope: The scope 'offline' was not granted; a refresh may only narrow the scope.",
    ],
    ['an empty scope', checkScope, { scope: ' ' }, 'invalid_scope: scope, when sent, must name at least one scope.'],
  ] as const)('%s → %s', async (_name, check, over, expected) => {
    expect(await outcome(check, context(over))).toBe(expected);
  });

  it('sets the scopes of the new access token: the grant’s when none is asked, else the ones asked (each once)', async () => {
    const all = context();
    await checkScope(all);
    expect(all.scopes).toEqual(['openid', 'email', 'offline_access']);
    const some = context({ scope: 'email email openid' });
    await checkScope(some);
    expect(some.scopes).toEqual(['email', 'openid']);
  });

  it('keeps the user for the claims of the new ID token', async () => {
    const ctx = context();
    await checkUser(ctx);
    expect(ctx.user).toBe(john);
  });
});
