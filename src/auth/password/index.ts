export { hashAlgorithms, type HashAlgorithm } from './algorithms.js';
export { hashPassword } from './hash.js';
export { hashWithConfig } from './configured-hash.js';
export { verifyPassword, isSupportedDigest, supportedDigestFormats, UnsupportedDigestError } from './verify.js';
export { closeCryptPool } from './crypt-pool.js';
