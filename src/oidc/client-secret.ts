import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { OidcClientConfig } from '../config/oidc.js';
import { constantTimeEqual } from './tokens.js';

/**
 * Checks presented client secrets. Plain secrets are compared in constant time; digests
 * (`$pbkdf2-sha512$…`, `$argon2id$…`) are verified like passwords, and the last secret that
 * verified for each client is remembered as an HMAC under a per-process key, so a confidential
 * client does not pay a password hash on every token request.
 */
export class ClientSecretVerifier {
  readonly #key = randomBytes(32);
  /** One entry per configured client with a digest secret: bounded by the configuration. */
  readonly #verified = new Map<string, Buffer>();

  /** @param verifyDigest the password check, within the server's hashing limits (auth/password/hash-limiter.ts). */
  constructor(private readonly verifyDigest: (digest: string, password: string) => Promise<boolean>) {}

  async verify(client: OidcClientConfig, presented: string): Promise<boolean> {
    const secret = client.secret;
    if (!secret) return false;
    if (secret.kind === 'plain') return constantTimeEqual(presented, secret.value);
    const mac = createHmac('sha256', this.#key).update(`${client.id}\0${presented}`).digest();
    const known = this.#verified.get(client.id);
    if (known && timingSafeEqual(known, mac)) return true;
    if (!(await this.verifyDigest(secret.digest, presented))) return false;
    this.#verified.set(client.id, mac);
    return true;
  }
}
