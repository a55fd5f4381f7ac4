export type { Storage, StoredSession, SessionRepository, ColumnCipher } from './storage.js';
export type {
  AuthenticationAttempt,
  AuthenticationLogRepository,
  Ban,
  BanRepository,
  NewBan,
  OneTimeCodeRepository,
  StoredOneTimeCode,
  TotpConfiguration,
  TotpRepository,
} from './auth-repositories.js';
export { AesGcmCipher } from './cipher.js';
export { SqliteStorage, type SqliteOptions } from './sqlite/open.js';
