/**
 * What a token presented back to the provider is: the one lookup behind introspection,
 * revocation, userinfo and bearer authorisation at forward-auth, so that they agree on which
 * tokens are alive.
 * - an opaque token is found by its HMAC (purpose `access` or `refresh`);
 * - a JWT access token (RFC 9068) must verify against the provider's published keys with
 *   `typ: at+jwt`, then is found by the HMAC of its `jti`: a revoked JWT is dead although its
 *   signature is still good;
 * - active: unrevoked, unexpired, a refresh token not yet rotated, its client still
 *   registered and its user (when it has one) still enabled in the users file.
 */
import { type JWTVerifyGetKey, createLocalJWKSet, jwtVerify } from 'jose';
import type { AccessTokenFacts, AccessTokens } from '../authz/bearer-strategy.js';
import type { StoredToken } from '../storage/oidc-repositories.js';
import type { OidcDeps } from './deps.js';
import type { KeyStore } from './keys.js';

/** What token lookups need of the provider. */
export type TokenCheckDeps = Pick<OidcDeps, 'repository' | 'hasher' | 'keys' | 'clients' | 'users' | 'clock'>;

export type TokenKind = StoredToken['kind'];

/** A token found for a presented value; `jti` for a JWT access token. */
export interface FoundToken {
  readonly token: StoredToken;
  readonly jti: string | undefined;
}

const jwtShape = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/**
 * The stored token `value` is, looked up as each of `kinds` in turn (a `token_type_hint` only
 * orders them), whatever its state; undefined when it is none of them.
 */
export async function findToken(deps: TokenCheckDeps, value: string, kinds: readonly TokenKind[]): Promise<FoundToken | undefined> {
  for (const kind of kinds) {
    if (kind === 'access' && jwtShape.test(value)) {
      const jti = await verifiedJti(deps, value);
      const token = jti === undefined ? undefined : await deps.repository.findToken(deps.hasher.hash('access', jti));
      if (token?.kind === 'access' && token.format === 'jwt') return { token, jti };
      continue;
    }
    const token = await deps.repository.findToken(deps.hasher.hash(kind, value));
    if (token?.kind === kind && token.format !== 'jwt') return { token, jti: undefined };
  }
  return undefined;
}

/** Whether a found token may still be used at `now` (see the module's contract). */
export async function isActive(deps: TokenCheckDeps, token: StoredToken, now: number): Promise<boolean> {
  if (token.revokedAt !== undefined || token.expiresAt <= now) return false;
  if (token.kind === 'refresh' && token.rotatedAt !== undefined) return false;
  if (!deps.clients.has(token.clientId)) return false;
  return token.username === '' || (await deps.users.get(token.username)) !== undefined;
}

/** {@link findToken}, kept only when {@link isActive}. */
export async function findActiveToken(deps: TokenCheckDeps, value: string, kinds: readonly TokenKind[]): Promise<FoundToken | undefined> {
  const found = await findToken(deps, value, kinds);
  return found && (await isActive(deps, found.token, deps.clock.now())) ? found : undefined;
}

/** The provider's access tokens as forward-auth sees them (authz/bearer-strategy.ts). */
export function accessTokensOf(deps: TokenCheckDeps): AccessTokens {
  return {
    async activeAccessToken(value: string): Promise<AccessTokenFacts | undefined> {
      const found = await findActiveToken(deps, value, ['access']);
      if (!found) return undefined;
      const { token } = found;
      const grant = token.username === '' ? undefined : await deps.repository.findGrant(token.grantId);
      return { clientId: token.clientId, username: token.username, scopes: token.scopes, audience: token.audience ?? [], amr: grant?.data.amr ?? [] };
    },
  };
}

/** The `jti` of a JWT access token whose signature verifies (`typ: at+jwt`, unexpired); else undefined. */
async function verifiedJti(deps: TokenCheckDeps, jwt: string): Promise<string | undefined> {
  try {
    const { payload } = await jwtVerify(jwt, publishedKeys(deps.keys), { typ: 'at+jwt', currentDate: new Date(deps.clock.now()) });
    return typeof payload.jti === 'string' ? payload.jti : undefined;
  } catch {
    return undefined;
  }
}

/** The key set of `/jwks.json`, rebuilt when the published keys change (rotation). */
const keySets = new WeakMap<KeyStore, { readonly kids: string; readonly resolve: JWTVerifyGetKey }>();

function publishedKeys(keys: KeyStore): JWTVerifyGetKey {
  const document = keys.jwks();
  const kids = document.keys.map((k) => k.kid).join(' ');
  const cached = keySets.get(keys);
  if (cached?.kids === kids) return cached.resolve;
  const resolve = createLocalJWKSet(document);
  keySets.set(keys, { kids, resolve });
  return resolve;
}
