import { createPublicKey } from 'node:crypto';
import { describe, keyPath } from './problems.js';
import { type ReadContext, readChoice, readList, readMapping, readString, unsupportedAuthelia } from './reader.js';

/** One public key a client signs `private_key_jwt` assertions with. */
export interface ClientJwkConfig {
  readonly keyId: string | undefined;
  readonly algorithm: string;
  readonly key: string;
}

/** Values Authelia accepts that Gatehouse does not implement yet: what each is, and whether leaving it out is harmless. */
export interface AutheliaValues {
  readonly what: Readonly<Record<string, string>>;
  /** Dropping such a value only allows less (e.g. a response mode): a warning, not an error. */
  readonly harmless: boolean;
}

/**
 * A list of names from `known`; a name of `authelia` is reported as an Authelia option Gatehouse
 * does not support yet (and left out); absent → `fallback`.
 */
export function readNames(
  ctx: ReadContext,
  path: string,
  value: unknown,
  known: readonly string[],
  authelia: AutheliaValues | undefined,
  fallback: string[],
): string[] {
  if (value === undefined || value === null) return fallback;
  const names = readList(ctx, path, value, (entry, at) => {
    if (typeof entry === 'string' && known.includes(entry)) return entry;
    const what = typeof entry === 'string' && authelia !== undefined && Object.hasOwn(authelia.what, entry) ? authelia.what[entry] : undefined;
    if (what !== undefined) {
      unsupportedAuthelia(ctx, at, what, authelia!.harmless);
      return undefined;
    }
    ctx.problems.error(at, `must be one of ${known.map((k) => `'${k}'`).join(', ')} but is ${describe(entry)}`);
    return undefined;
  });
  return [...new Set(names)];
}

export function readRedirectUris(ctx: ReadContext, path: string, value: unknown, required = true): string[] {
  if (value === undefined || value === null || (Array.isArray(value) && value.length === 0)) {
    if (required) ctx.problems.error(path, 'must list at least one redirect URI but is absent');
    return [];
  }
  return readList(ctx, path, value, (entry, at) => {
    const text = readString(ctx, at, entry, { required: true });
    if (text === undefined) return undefined;
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      ctx.problems.error(at, `must be an absolute URL such as 'https://app.example.com/callback' but is '${text}'`);
      return undefined;
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') ctx.problems.error(at, `must use the scheme 'https' or 'http' but is '${text}'`);
    else if (url.hash !== '' || text.includes('#')) ctx.problems.error(at, `must not contain a fragment ('#') but is '${text}'`);
    else if (text !== text.trim()) ctx.problems.error(at, `must not start or end with spaces but is '${text}'`);
    else {
      if (url.protocol === 'http:' && !/^(localhost|127\.\d+\.\d+\.\d+|\[::1\])$|\.localhost$/.test(url.hostname)) {
        ctx.problems.warn(at, `uses plain http; codes and tokens can be read on the network ('${text}')`);
      }
      return text;
    }
    return undefined;
  });
}

export function readClientJwks(ctx: ReadContext, path: string, value: unknown): ClientJwkConfig[] {
  return readList(ctx, path, value, (entry, at) => {
    const raw = readMapping(ctx, at, entry, ['key_id', 'algorithm', 'use', 'key', 'certificate_chain']);
    if (!raw) return undefined;
    if (raw.use === 'enc') unsupportedAuthelia(ctx, keyPath(at, 'use'), 'encryption keys of clients: Gatehouse encrypts no response');
    else if (raw.use !== undefined && raw.use !== 'sig') ctx.problems.error(keyPath(at, 'use'), `must be 'sig' but is ${describe(raw.use)}`);
    if (raw.certificate_chain !== undefined) {
      const none = raw.certificate_chain === null || raw.certificate_chain === '';
      unsupportedAuthelia(ctx, keyPath(at, 'certificate_chain'), "checking a client key's certificate chain", none);
    }
    const key = readString(ctx, keyPath(at, 'key'), raw.key, { required: true });
    const algorithm = readChoice(
      ctx,
      keyPath(at, 'algorithm'),
      raw.algorithm,
      ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'] as const,
      'RS256',
    );
    if (key === undefined) return undefined;
    try {
      createPublicKey(key);
    } catch {
      ctx.problems.error(keyPath(at, 'key'), 'must be a PEM public key (-----BEGIN PUBLIC KEY-----) but cannot be read as one');
      return undefined;
    }
    return { keyId: readString(ctx, keyPath(at, 'key_id'), raw.key_id), algorithm, key };
  });
}
