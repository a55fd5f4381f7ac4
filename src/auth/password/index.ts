export { hashAlgorithms, type HashAlgorithm } from './algorithms.js';
export { hashPassword } from './hash.js';
export { hashWithConfig } from './configured-hash.js';
export { verifyPassword, UnsupportedDigestError } from './verify.js';
export { isSupportedDigest, supportedDigestFormats } from '../../shared/password-digest.js';
export { closeCryptPool } from './crypt-pool.js';
