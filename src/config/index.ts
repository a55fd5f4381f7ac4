export type { Config } from './config.js';
export type { ListenAddress, ServerConfig } from './server.js';
export type { SessionConfig, SessionCookieConfig, SameSite } from './session.js';
export type { StorageConfig } from './storage.js';
export type { LogConfig, LogLevel } from './log.js';
export { loadConfig, parseConfig, type LoadedConfig } from './load.js';
export { parseDuration, formatDuration } from './duration.js';
export { isWithinDomain, allowsPlainHttp } from './session.js';
export { secretEnvNames } from './reader.js';
