export type * from './storage.js';
export { AesGcmCipher } from './cipher.js';
export { SqliteStorage, type SqliteOptions } from './sqlite/open.js';
export { PostgresStorage, type PostgresOptions } from './postgres/open.js';
export { MysqlStorage, type MysqlOptions } from './mysql/open.js';
export { openStorage, storageLocation, type OpenedStorage } from './open.js';
