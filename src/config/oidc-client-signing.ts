import { keyPath } from './problems.js';
import { type OidcSigningAlgorithm, oidcSigningAlgorithms, readSigningAlgorithm } from './oidc-keys.js';
import { type ReadContext, readChoice, readString } from './reader.js';

export const clientAuthMethods = ['client_secret_basic', 'client_secret_post', 'client_secret_jwt', 'private_key_jwt', 'none'] as const;
export type ClientAuthMethod = (typeof clientAuthMethods)[number];
/** The algorithms a client may sign request objects and authentication assertions with. */
export const requestObjectAlgorithms = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'] as const;

/** What a response to a client is signed with: an algorithm, and optionally the one key (`*_key_id`) of `jwks`. */
export interface ResponseSigning<A extends string> {
  readonly alg: A;
  /** A configured key's id (`jwks[].key_id` or its derived id); its algorithm then replaces `alg` (Authelia's rule). */
  readonly keyId: string | undefined;
}

/** Algorithms of `client_secret_jwt` assertions (HMAC under the plain secret). */
export const hmacAssertionAlgorithms = ['HS256', 'HS384', 'HS512'] as const;

/** The algorithms an assertion of `method` may use (`private_key_jwt`: those of request objects). */
export function assertionAlgorithms(method: 'private_key_jwt' | 'client_secret_jwt'): readonly string[] {
  return method === 'client_secret_jwt' ? hmacAssertionAlgorithms : requestObjectAlgorithms;
}

/**
 * Reads `<what>_signed_response_alg` and `<what>_signed_response_key_id`. An empty key id is
 * absent (Authelia's examples write `''`); whether it names a configured key is checked with the
 * provider's `jwks` (oidc.ts).
 */
export function readResponseSigning<A extends string>(
  ctx: ReadContext,
  at: string,
  raw: Record<string, unknown>,
  what: 'id_token' | 'userinfo' | 'access_token',
  allowed: readonly A[],
  fallback: A,
): ResponseSigning<A> {
  const alg = readSigningAlgorithm(ctx, keyPath(at, `${what}_signed_response_alg`), raw[`${what}_signed_response_alg`], allowed, fallback);
  const keyId = readString(ctx, keyPath(at, `${what}_signed_response_key_id`), raw[`${what}_signed_response_key_id`]);
  return { alg, keyId: keyId === '' ? undefined : keyId };
}

/** The response-signing choices of a client, read together. */
export function readClientResponseSigning(ctx: ReadContext, at: string, raw: Record<string, unknown>) {
  const withNone = ['none', ...oidcSigningAlgorithms] as const;
  return {
    idToken: readResponseSigning<OidcSigningAlgorithm>(ctx, at, raw, 'id_token', oidcSigningAlgorithms, 'RS256'),
    userinfo: readResponseSigning<OidcSigningAlgorithm | 'none'>(ctx, at, raw, 'userinfo', withNone, 'none'),
    accessToken: readResponseSigning<OidcSigningAlgorithm | 'none'>(ctx, at, raw, 'access_token', withNone, 'none'),
  };
}

/** The endpoints a client authenticates at, each with its own `<endpoint>_endpoint_auth_signing_alg`. */
export const authEndpoints = ['token', 'introspection', 'revocation'] as const;

/**
 * Reads `<endpoint>_endpoint_auth_signing_alg`: the one algorithm the client's assertion must use
 * at that endpoint. It must fit the endpoint's method (HMAC for `client_secret_jwt`, asymmetric for
 * `private_key_jwt`); with a method that sends no JWT it changes nothing and says so (Authelia's
 * examples set it to RS256 next to `client_secret_basic`).
 */
export function readAuthSigningAlg(ctx: ReadContext, path: string, value: unknown, method: ClientAuthMethod | undefined): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (method !== 'private_key_jwt' && method !== 'client_secret_jwt') {
    readChoice(ctx, path, value, [...requestObjectAlgorithms, ...hmacAssertionAlgorithms], 'RS256');
    ctx.problems.warn(path, `has no effect: the client does not authenticate with a JWT here (the method is '${method ?? 'client_secret_basic'}')`);
    return undefined;
  }
  const allowed = assertionAlgorithms(method);
  return readChoice(ctx, path, value, allowed, allowed[0]!);
}
