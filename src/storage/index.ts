export type * from './storage.js';
export { AesGcmCipher } from './cipher.js';
export { SqliteStorage, type SqliteOptions } from './sqlite/open.js';
