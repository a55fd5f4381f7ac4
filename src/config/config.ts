import type { AccessControlConfig } from './access-control.js';
import type { DefinitionsConfig } from './definitions.js';
import type { LogConfig } from './log.js';
import type { ServerConfig } from './server.js';
import type { SessionConfig } from './session.js';
import type { StorageConfig } from './storage.js';

/** The validated, defaulted, deep-frozen configuration. Durations are milliseconds. */
export interface Config {
  readonly server: ServerConfig;
  readonly log: LogConfig;
  readonly session: SessionConfig;
  readonly storage: StorageConfig;
  readonly definitions: DefinitionsConfig;
  readonly accessControl: AccessControlConfig;
  /** Sections accepted but not yet implemented, kept as written. */
  readonly pending: Readonly<Record<string, unknown>>;
}
