import { type CryptoKey, type JWK, calculateJwkThumbprint, exportJWK, exportPKCS8, generateKeyPair, importPKCS8 } from 'jose';
import { createPrivateKey } from 'node:crypto';
import type { OidcJwkConfig, OidcSigningAlgorithm } from '../config/oidc.js';
import type { Clock } from '../shared/clock.js';
import type { OidcRepository } from '../storage/oidc-repositories.js';

/** One signing key: the private half for signing, the public JWK for `/jwks.json`. */
export interface SigningKey {
  readonly kid: string;
  readonly algorithm: OidcSigningAlgorithm;
  readonly privateKey: CryptoKey;
  readonly publicJwk: JWK;
}

/**
 * The provider's signing keys: those configured in `jwks`, or — when none are — the keys kept in
 * storage, an RS256 key being generated (and stored encrypted) at the first start.
 */
export class KeyStore {
  readonly keys: readonly SigningKey[];

  private constructor(keys: SigningKey[]) {
    this.keys = keys;
  }

  /** @throws Error when a stored key cannot be decrypted (another storage key). */
  static async load(configured: readonly OidcJwkConfig[], repository: OidcRepository, clock: Clock): Promise<KeyStore> {
    if (configured.length > 0) return new KeyStore(await Promise.all(configured.map((k) => importKey(k.key, k.algorithm, k.keyId))));
    let stored = await repository.signingKeys();
    if (!stored.some((k) => k.algorithm === 'RS256')) {
      const { privateKey } = await generateKeyPair('RS256', { modulusLength: 2048, extractable: true });
      const pem = await exportPKCS8(privateKey);
      const key = await importKey(pem, 'RS256', undefined);
      await repository.addSigningKey({ kid: key.kid, algorithm: 'RS256', privateKey: pem, createdAt: clock.now() });
      stored = await repository.signingKeys();
    }
    return new KeyStore(await Promise.all(stored.map((k) => importKey(k.privateKey, k.algorithm as OidcSigningAlgorithm, k.kid))));
  }

  /** The key to sign with for `algorithm` (the first configured one). */
  signer(algorithm: OidcSigningAlgorithm): SigningKey {
    const key = this.keys.find((k) => k.algorithm === algorithm);
    if (!key) throw new Error(`no signing key for ${algorithm}`);
    return key;
  }

  /** The JWK Set document (public keys only). */
  jwks(): { keys: JWK[] } {
    return { keys: this.keys.map((k) => k.publicJwk) };
  }

  algorithms(): OidcSigningAlgorithm[] {
    return [...new Set(this.keys.map((k) => k.algorithm))];
  }
}

async function importKey(pem: string, algorithm: OidcSigningAlgorithm, kid: string | undefined): Promise<SigningKey> {
  // jose reads PKCS#8 only; PKCS#1 / SEC1 PEM from the configuration is converted first.
  const pkcs8 = pem.includes('BEGIN PRIVATE KEY') ? pem : createPrivateKey(pem).export({ type: 'pkcs8', format: 'pem' }).toString();
  const privateKey = await importPKCS8(pkcs8, algorithm, { extractable: true });
  const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...publicPart } = await exportJWK(privateKey);
  const thumbprint = await calculateJwkThumbprint(publicPart, 'sha256');
  // Authelia's default key id: 7 hex digits of the SHA-256 thumbprint, '-', the algorithm.
  const keyId = kid ?? `${Buffer.from(thumbprint, 'base64url').toString('hex').slice(0, 7)}-${algorithm.toLowerCase()}`;
  return { kid: keyId, algorithm, privateKey, publicJwk: { ...publicPart, kid: keyId, alg: algorithm, use: 'sig' } };
}
