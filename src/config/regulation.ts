import { formatDuration } from './duration.js';
import { defaults } from './defaults.js';
import { describe, keyPath } from './problems.js';
import { type ReadContext, readDuration, readInteger, readList, readMapping } from './reader.js';

export const regulationModes = ['user', 'ip'] as const;
export type RegulationMode = (typeof regulationModes)[number];

/** `regulation`: banning after repeated failed logins (Authelia's algorithm and defaults). */
export interface RegulationConfig {
  /** What is banned: the username, the client IP, or both. */
  readonly modes: readonly RegulationMode[];
  /** Failed logins within `findTime` that cause a ban; 0 disables regulation. */
  readonly maxRetries: number;
  /** Milliseconds. */
  readonly findTime: number;
  /** Milliseconds a ban lasts from the newest failure. */
  readonly banTime: number;
}

/** Reads `regulation`; `find_time` may not exceed `ban_time`. */
export function readRegulation(ctx: ReadContext, value: unknown): RegulationConfig {
  const path = 'regulation';
  const d = defaults.regulation;
  const raw = readMapping(ctx, path, value, ['modes', 'max_retries', 'find_time', 'ban_time']) ?? {};
  const modesAt = keyPath(path, 'modes');
  const modes: RegulationMode[] = [];
  readList(ctx, modesAt, raw.modes, (entry, at) => {
    if (typeof entry !== 'string' || !(regulationModes as readonly string[]).includes(entry)) {
      ctx.problems.error(at, `must be one of 'user', 'ip' but is ${describe(entry)}`);
    } else if (modes.includes(entry as RegulationMode)) {
      ctx.problems.error(at, `must not repeat '${entry}' but does`);
    } else {
      modes.push(entry as RegulationMode);
    }
    return undefined;
  });
  const findTime = readDuration(ctx, keyPath(path, 'find_time'), raw.find_time, d.findTime, { min: 1000 });
  const banTime = readDuration(ctx, keyPath(path, 'ban_time'), raw.ban_time, d.banTime, { min: 1000 });
  if (findTime > banTime) {
    ctx.problems.error(
      keyPath(path, 'find_time'),
      `must not be longer than regulation.ban_time (${formatDuration(banTime)}) but is ${formatDuration(findTime)}`,
    );
  }
  return {
    modes: modes.length > 0 ? modes : [...d.modes],
    maxRetries: readInteger(ctx, keyPath(path, 'max_retries'), raw.max_retries, d.maxRetries, { min: 0 }),
    findTime,
    banTime,
  };
}
