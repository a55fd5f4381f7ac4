import { SignJWT } from 'jose';
import type { OidcSigningAlgorithm } from '../../config/oidc.js';
import type { KeyStore } from '../keys.js';

/** The member of a logout token's `events` claim (Back-Channel Logout 1.0 §2.4). */
export const backchannelLogoutEvent = 'http://schemas.openid.net/event/backchannel-logout';

export interface LogoutTokenInput {
  readonly issuer: string;
  /** `aud`: the client told. */
  readonly clientId: string;
  /** The client's subject of the user; left out when empty. */
  readonly subject: string;
  /** The browser session's `sid` (as in the client's ID tokens); left out when empty. */
  readonly sid: string;
  /** The same at every attempt of one delivery, so that the receiver can spot a replay. */
  readonly jti: string;
  readonly now: number;
  /** How long the token is valid (ms), from `now`. */
  readonly lifetime: number;
  /** The client's `id_token_signed_response_alg`: it verifies this token as it does its ID tokens. */
  readonly algorithm: OidcSigningAlgorithm;
}

/**
 * Signs a logout token (Back-Channel Logout 1.0 §2.4) with the provider's current key for
 * `algorithm`: header `typ: logout+jwt` and `kid`; claims `iss`, `aud` (the client id), `iat`,
 * `exp`, `jti`, `events` with the back-channel logout event, `sub` and `sid` when known (at least
 * one of them must be: the caller checks) and never `nonce` (§2.4: its absence tells a logout
 * token from an ID token).
 * @throws Error when there is no signing key for `algorithm`.
 */
export async function signLogoutToken(keys: Pick<KeyStore, 'signer'>, input: LogoutTokenInput): Promise<string> {
  const key = keys.signer(input.algorithm);
  const seconds = Math.floor(input.now / 1000);
  const token = new SignJWT({ events: { [backchannelLogoutEvent]: {} }, ...(input.sid ? { sid: input.sid } : {}) })
    .setProtectedHeader({ alg: key.algorithm, kid: key.kid, typ: 'logout+jwt' })
    .setIssuer(input.issuer)
    .setAudience(input.clientId)
    .setIssuedAt(seconds)
    .setExpirationTime(seconds + Math.ceil(input.lifetime / 1000))
    .setJti(input.jti);
  if (input.subject) token.setSubject(input.subject);
  return token.sign(key.privateKey);
}
