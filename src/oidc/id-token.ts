import { createHash } from 'node:crypto';
import { SignJWT } from 'jose';
import type { OidcClientConfig } from '../config/oidc.js';
import type { KeyStore } from './keys.js';

export interface IdTokenInput {
  readonly issuer: string;
  readonly client: OidcClientConfig;
  readonly subject: string;
  readonly authTime: number;
  readonly amr: readonly string[];
  readonly nonce: string | undefined;
  readonly accessToken: string | undefined;
  readonly now: number;
  readonly lifetime: number;
  readonly jti: string;
  /**
   * `aud`: the one of the original authentication on a refresh (OIDC Core §12.2), stored with the
   * grant; by default {@link idTokenAudience}.
   */
  readonly audience?: readonly string[] | undefined;
  /** The browser session's id (Back-Channel / Front-Channel Logout `sid`); left out when empty. */
  readonly sid?: string | undefined;
  /** Scope claims to copy in (the client's `claims_in_id_token`). */
  readonly extraClaims: Readonly<Record<string, unknown>>;
}

/** An ID token's `aud` for `client`: its id, then the client's `audience`. */
export function idTokenAudience(client: OidcClientConfig): string[] {
  return [client.id, ...client.audience.filter((a) => a !== client.id)];
}

/**
 * Signs an ID token (OIDC Core §2, §3.1.3.6): `iss`, `sub`, `aud` (client id plus the client's
 * `audience`), `exp`, `iat`, `auth_time`, `nonce`, `amr` (RFC 8176), `azp`, `at_hash`, `jti`,
 * with `kid` in the header and the client's `id_token_signed_response_alg` (RS256 by default).
 * On a refresh the caller passes the original `iss`, `sub`, `aud`, `auth_time` and `amr`, and no
 * `nonce` (§12.2).
 */
export async function signIdToken(keys: KeyStore, input: IdTokenInput): Promise<string> {
  const key = keys.signer(input.client.idTokenSignedResponseAlg, input.client.signingKeyIds.idToken);
  const audience = input.audience ?? idTokenAudience(input.client);
  const seconds = Math.floor(input.now / 1000);
  const claims: Record<string, unknown> = {
    ...input.extraClaims,
    auth_time: Math.floor(input.authTime / 1000),
    amr: [...input.amr],
    azp: input.client.id,
    ...(input.nonce !== undefined ? { nonce: input.nonce } : {}),
    ...(input.sid ? { sid: input.sid } : {}),
    ...(input.accessToken !== undefined ? { at_hash: leftHalfHash(input.accessToken) } : {}),
  };
  return new SignJWT(claims)
    .setProtectedHeader({ alg: key.algorithm, kid: key.kid, typ: 'JWT' })
    .setIssuer(input.issuer)
    .setSubject(input.subject)
    .setAudience(audience.length === 1 ? audience[0]! : [...audience])
    .setIssuedAt(seconds)
    .setExpirationTime(seconds + Math.floor(input.lifetime / 1000))
    .setJti(input.jti)
    .sign(key.privateKey);
}

/** `at_hash` (OIDC Core §3.1.3.6): base64url of the left half of SHA-256 (RS256 and ES256 both use SHA-256). */
export function leftHalfHash(value: string): string {
  const digest = createHash('sha256').update(value, 'ascii').digest();
  return digest.subarray(0, digest.length / 2).toString('base64url');
}
