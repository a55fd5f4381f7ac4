import { createHash, createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { describe, keyPath } from './problems.js';
import { type ReadContext, readChoice, readList, readMapping, readSecret, readString, unsupportedAuthelia } from './reader.js';

/** Signing algorithms the provider signs with (ID tokens, signed userinfo). */
export const oidcSigningAlgorithms = ['RS256', 'ES256'] as const;
export type OidcSigningAlgorithm = (typeof oidcSigningAlgorithms)[number];
/** Signing algorithms Authelia accepts for its keys that Gatehouse does not sign with yet. */
export const autheliaOnlyAlgorithms: readonly string[] = ['RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES384', 'ES512'];

/**
 * Reads a signing algorithm: one of Gatehouse's (`extra` too, e.g. `none`), an Authelia-only one
 * refused as unsupported, anything else a plain error; `fallback` when absent.
 */
export function readSigningAlgorithm<T extends string>(ctx: ReadContext, path: string, value: unknown, allowed: readonly T[], fallback: T): T {
  if (typeof value === 'string' && autheliaOnlyAlgorithms.includes(value)) {
    unsupportedAuthelia(ctx, path, `signing with '${value}'; Gatehouse signs with ${oidcSigningAlgorithms.join(' and ')}`);
    return fallback;
  }
  return readChoice(ctx, path, value, allowed, fallback);
}

/** One provider signing key (`identity_providers.oidc.jwks[]`). */
export interface OidcJwkConfig {
  /** `key_id`; when absent the key store derives one from the key's thumbprint (Authelia's rule). */
  readonly keyId: string | undefined;
  readonly algorithm: OidcSigningAlgorithm;
  /** The private key, PEM (PKCS#8 or PKCS#1 / SEC1). */
  readonly key: string;
}

/**
 * Reads `identity_providers.oidc.jwks`: each key must parse, match its algorithm (RSA ≥ 2048 bits
 * for RS256, P-256 for ES256), carry a distinct `key_id`; at least one key must be RS256 (the
 * default ID-token algorithm of OpenID Connect).
 */
export function readOidcJwks(ctx: ReadContext, path: string, value: unknown): OidcJwkConfig[] {
  const ids = new Map<string, string>();
  const keys = readList(ctx, path, value, (entry, at) => {
    const raw = readMapping(ctx, at, entry, ['key_id', 'algorithm', 'use', 'key', 'certificate_chain']);
    if (!raw) return undefined;
    const keyId = readString(ctx, keyPath(at, 'key_id'), raw.key_id);
    if (keyId !== undefined) {
      if (!/^[A-Za-z0-9._~-]{1,100}$/.test(keyId)) {
        ctx.problems.error(keyPath(at, 'key_id'), `must be 1 to 100 letters, digits or '._~-' but is '${keyId}'`);
      } else if (ids.has(keyId)) {
        ctx.problems.error(keyPath(at, 'key_id'), `must be unique but '${keyId}' is also the key_id of ${ids.get(keyId)}`);
      } else ids.set(keyId, at);
    }
    if (raw.use === 'enc') unsupportedAuthelia(ctx, keyPath(at, 'use'), 'encryption keys: Gatehouse encrypts no response');
    else if (raw.use !== undefined && raw.use !== 'sig') ctx.problems.error(keyPath(at, 'use'), `must be 'sig' but is ${describe(raw.use)}`);
    if (raw.certificate_chain !== undefined) {
      const none = raw.certificate_chain === null || raw.certificate_chain === '';
      unsupportedAuthelia(ctx, keyPath(at, 'certificate_chain'), 'certificate chains (x5c) in the published keys', none);
    }
    const pem = readSecret(ctx, keyPath(at, 'key'), raw.key, { required: true });
    const key = pem === undefined ? undefined : parsePrivateKey(ctx, keyPath(at, 'key'), pem);
    const guessed: OidcSigningAlgorithm = key?.asymmetricKeyType === 'ec' ? 'ES256' : 'RS256';
    const algorithm = readSigningAlgorithm(ctx, keyPath(at, 'algorithm'), raw.algorithm, oidcSigningAlgorithms, guessed);
    if (!key || pem === undefined || !keyFits(ctx, keyPath(at, 'key'), key, algorithm)) return undefined;
    return { keyId, algorithm, key: pem };
  });
  if (keys.length > 0 && !keys.some((k) => k.algorithm === 'RS256')) {
    ctx.problems.error(path, 'must hold at least one RS256 key (the default ID token algorithm) but has none');
  }
  return keys;
}

/**
 * The key id a configured key is published under: its `key_id`, else Authelia's default (the
 * first 7 hex digits of the RFC 7638 SHA-256 thumbprint, '-', the algorithm in lower case) — the
 * same id oidc/keys.ts derives, computed here so that clients' `*_key_id` can name it.
 */
export function jwkKeyId(jwk: OidcJwkConfig): string {
  if (jwk.keyId !== undefined) return jwk.keyId;
  const pub = createPublicKey(createPrivateKey(jwk.key)).export({ format: 'jwk' });
  // RFC 7638 §3.2: the required members only, in lexicographic order, no whitespace.
  const members = pub.kty === 'EC' ? { crv: pub.crv, kty: pub.kty, x: pub.x, y: pub.y } : { e: pub.e, kty: pub.kty, n: pub.n };
  const thumbprint = createHash('sha256').update(JSON.stringify(members)).digest('hex');
  return `${thumbprint.slice(0, 7)}-${jwk.algorithm.toLowerCase()}`;
}

function parsePrivateKey(ctx: ReadContext, path: string, pem: string): KeyObject | undefined {
  try {
    return createPrivateKey(pem);
  } catch {
    ctx.problems.error(path, 'must be a PEM private key (-----BEGIN PRIVATE KEY-----) but cannot be read as one');
    return undefined;
  }
}

function keyFits(ctx: ReadContext, path: string, key: KeyObject, algorithm: OidcSigningAlgorithm): boolean {
  const details = key.asymmetricKeyDetails ?? {};
  if (algorithm === 'RS256') {
    if (key.asymmetricKeyType !== 'rsa') {
      ctx.problems.error(path, `must be an RSA key for RS256 but is a ${key.asymmetricKeyType ?? 'unknown'} key`);
      return false;
    }
    if ((details.modulusLength ?? 0) < 2048) {
      ctx.problems.error(path, `must be an RSA key of at least 2048 bits but has ${details.modulusLength ?? 0} bits`);
      return false;
    }
    return true;
  }
  if (key.asymmetricKeyType !== 'ec' || details.namedCurve !== 'prime256v1') {
    ctx.problems.error(path, `must be an EC P-256 key for ES256 but is a ${key.asymmetricKeyType ?? 'unknown'} key`);
    return false;
  }
  return true;
}
