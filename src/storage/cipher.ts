import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { GatehouseError } from '../shared/errors.js';
import type { ColumnCipher } from './storage.js';

const version = 1;
const nonceLength = 12;
const tagLength = 16;

function derive(secret: string, info: string): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), info, 32));
}

/** Column encryption under a key derived (HKDF-SHA256) from `storage.encryption_key`. */
export class AesGcmCipher implements ColumnCipher {
  readonly #key: Buffer;
  readonly #checkKey: Buffer;

  constructor(secret: string) {
    this.#key = derive(secret, 'gatehouse:storage:column-encryption:v1');
    this.#checkKey = derive(secret, 'gatehouse:storage:key-check:v1');
  }

  encrypt(plaintext: Buffer | string, context: string): Buffer {
    const nonce = randomBytes(nonceLength);
    const cipher = createCipheriv('aes-256-gcm', this.#key, nonce, { authTagLength: tagLength });
    cipher.setAAD(Buffer.from(context));
    const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return Buffer.concat([Buffer.from([version]), nonce, body, cipher.getAuthTag()]);
  }

  decrypt(ciphertext: Buffer, context: string): Buffer {
    if (ciphertext.length < 1 + nonceLength + tagLength || ciphertext[0] !== version) {
      throw new GatehouseError('GH_STORAGE_DECRYPT', `encrypted value for ${context} is malformed`);
    }
    const nonce = ciphertext.subarray(1, 1 + nonceLength);
    const tag = ciphertext.subarray(ciphertext.length - tagLength);
    const body = ciphertext.subarray(1 + nonceLength, ciphertext.length - tagLength);
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.#key, nonce, { authTagLength: tagLength });
      decipher.setAAD(Buffer.from(context));
      decipher.setAuthTag(tag);
      return Buffer.concat([decipher.update(body), decipher.final()]);
    } catch (cause) {
      throw new GatehouseError('GH_STORAGE_DECRYPT', `encrypted value for ${context} cannot be decrypted with this key`, {
        cause,
      });
    }
  }

  /** A value that identifies the key without revealing it; stored once, compared at every start. */
  keyCheck(): Buffer {
    return createHmac('sha256', this.#checkKey).update('gatehouse storage key check').digest();
  }

  /** Constant-time comparison of a stored key check with this key's. */
  matchesKeyCheck(stored: Buffer): boolean {
    const mine = this.keyCheck();
    return stored.length === mine.length && timingSafeEqual(stored, mine);
  }
}
