import { defaults } from './defaults.js';
import { keyPath } from './problems.js';
import { type ReadContext, readMapping, readPath, readSecret } from './reader.js';

export interface StorageConfig {
  /** Derives the key that encrypts secrets at rest (TOTP secrets, OIDC material). */
  readonly encryptionKey: string;
  readonly local: { readonly path: string };
}

/** Reads `storage`. `encryption_key` is required and at least 20 characters. */
export function readStorage(ctx: ReadContext, value: unknown): StorageConfig {
  const path = 'storage';
  const raw = readMapping(ctx, path, value, ['encryption_key', 'local', 'postgres', 'mysql']) ?? {};
  const keyAt = keyPath(path, 'encryption_key');
  const encryptionKey = readSecret(ctx, keyAt, raw.encryption_key, { required: true }) ?? '';
  const min = defaults.storage.encryptionKeyMinLength;
  if (encryptionKey !== '' && encryptionKey.length < min) {
    ctx.problems.error(keyAt, `must be at least ${min} characters but is ${encryptionKey.length} characters`);
  }
  for (const backend of ['postgres', 'mysql'] as const) {
    if (raw[backend] !== undefined) {
      ctx.problems.error(keyPath(path, backend), 'is not supported by this version of Gatehouse; use storage.local');
    }
  }
  const local = readMapping(ctx, keyPath(path, 'local'), raw.local, ['path']) ?? {};
  return {
    encryptionKey,
    local: {
      path: readPath(ctx, keyPath(path, 'local.path'), local.path) ?? readPath(ctx, keyPath(path, 'local.path'), defaults.storage.localPath)!,
    },
  };
}
