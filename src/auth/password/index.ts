export { hashAlgorithms, type HashAlgorithm } from './algorithms.js';
export { hashPassword } from './hash.js';
export { verifyPassword, UnsupportedDigestError } from './verify.js';
