import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { closest, distance } from 'fastest-levenshtein';
import { parseDuration } from './duration.js';
import { type Problems, describe, indexPath, keyPath } from './problems.js';

/** What a section reader needs besides the raw value: where to report, and where secrets come from. */
export interface ReadContext {
  readonly problems: Problems;
  /** Environment variables, for secrets (`GATEHOUSE_<PATH>` and `GATEHOUSE_<PATH>_FILE`). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Folder of the configuration file; relative paths in the configuration resolve against it. */
  readonly baseDir: string;
}

type Raw = Record<string, unknown>;

/**
 * Reads a mapping at `path`. Absent → `{}`. Not a mapping → reported, `undefined`.
 * Keys not in `known` are reported with the closest known key as a suggestion; `aliases`
 * maps an accepted other name (e.g. Authelia's `authelia_url`) to ours; giving both is an error.
 */
export function readMapping(
  ctx: ReadContext,
  path: string,
  value: unknown,
  known: readonly string[],
  aliases: Readonly<Record<string, string>> = {},
): Raw | undefined {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    ctx.problems.error(path, `must be a mapping but is ${describe(value)}`);
    return undefined;
  }
  const out: Raw = {};
  for (const [key, entry] of Object.entries(value)) {
    // Own keys only: `constructor` or `toString` must not resolve to Object's built-ins.
    const name = (Object.hasOwn(aliases, key) ? aliases[key] : undefined) ?? key;
    if (!known.includes(name)) {
      ctx.problems.error(keyPath(path, key), `is not a known key${suggestion(key, known)}`);
      continue;
    }
    if (name !== key && Object.hasOwn(value, name)) {
      ctx.problems.error(keyPath(path, key), `is another name for '${name}'; set only one of them`);
      continue;
    }
    out[name] = entry;
  }
  return out;
}

function suggestion(key: string, known: readonly string[]): string {
  if (known.length === 0) return '';
  const best = closest(key, known as string[]);
  return distance(key, best) <= Math.max(2, Math.floor(key.length / 3)) ? `, did you mean '${best}'?` : '';
}

interface Required {
  required?: boolean;
}

/** A string; `undefined` when absent and not required. */
export function readString(ctx: ReadContext, path: string, value: unknown, opts: Required = {}): string | undefined {
  if (value === undefined || value === null) {
    if (opts.required) ctx.problems.error(path, 'must be set but is absent');
    return undefined;
  }
  if (typeof value !== 'string') {
    ctx.problems.error(path, `must be a string but is ${describe(value)}`);
    return undefined;
  }
  if (opts.required && value.trim() === '') {
    ctx.problems.error(path, 'must not be empty');
    return undefined;
  }
  return value;
}

export function readBoolean(ctx: ReadContext, path: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'boolean') {
    ctx.problems.error(path, `must be true or false but is ${describe(value)}`);
    return fallback;
  }
  return value;
}

export function readInteger(ctx: ReadContext, path: string, value: unknown, fallback: number, range: { min?: number; max?: number } = {}): number {
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    ctx.problems.error(path, `must be a whole number but is ${describe(value)}`);
    return fallback;
  }
  if (range.min !== undefined && value < range.min) {
    ctx.problems.error(path, `must be at least ${range.min} but is ${value}`);
    return fallback;
  }
  if (range.max !== undefined && value > range.max) {
    ctx.problems.error(path, `must be at most ${range.max} but is ${value}`);
    return fallback;
  }
  return value;
}

/** One of a fixed set of strings. */
export function readChoice<T extends string>(ctx: ReadContext, path: string, value: unknown, allowed: readonly T[], fallback: T): T {
  if (value === undefined || value === null) return fallback;
  if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as T;
  ctx.problems.error(path, `must be one of ${allowed.map((a) => `'${a}'`).join(', ')} but is ${describe(value)}`);
  return fallback;
}

/**
 * A duration in milliseconds. With `disableWith: -1`, the value -1 is accepted and returned
 * as -1 (Authelia's "disabled", e.g. `session.remember_me: -1`).
 */
export function readDuration(ctx: ReadContext, path: string, value: unknown, fallback: number, opts: { disableWith?: -1; min?: number } = {}): number {
  if (value === undefined || value === null) return fallback;
  if (opts.disableWith === -1 && (value === -1 || value === '-1')) return -1;
  const ms = parseDuration(value);
  if (ms === undefined) {
    const hint = opts.disableWith === -1 ? ', or -1 to disable' : '';
    ctx.problems.error(path, `must be a duration such as '90s', '1h30m', '5 minutes', '2 days' or a number of seconds${hint} but is ${describe(value)}`);
    return fallback;
  }
  if (opts.min !== undefined && ms < opts.min) {
    ctx.problems.error(path, `must be at least ${opts.min / 1000} seconds but is ${describe(value)}`);
    return fallback;
  }
  return ms;
}

/** A list, each entry read by `item`; absent → `[]`. A single scalar is not promoted to a list. */
export function readList<T>(ctx: ReadContext, path: string, value: unknown, item: (entry: unknown, path: string, index: number) => T | undefined): T[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) {
    ctx.problems.error(path, `must be a list but is ${describe(value)}`);
    return [];
  }
  const out: T[] = [];
  value.forEach((entry, index) => {
    const read = item(entry, indexPath(path, index), index);
    if (read !== undefined) out.push(read);
  });
  return out;
}

/** A filesystem path; relative paths resolve against the configuration file's folder. */
export function readPath(ctx: ReadContext, path: string, value: unknown, opts: Required = {}): string | undefined {
  const text = readString(ctx, path, value, opts);
  if (text === undefined) return undefined;
  return isAbsolute(text) ? text : resolve(ctx.baseDir, text);
}

/** The environment variable names that may carry the secret at `path`. */
export function secretEnvNames(path: string): { value: string; file: string } {
  const name = `GATEHOUSE_${path
    .replace(/\[(\d+)\]/g, '_$1')
    .replace(/\./g, '_')
    .toUpperCase()}`;
  return { value: name, file: `${name}_FILE` };
}

/**
 * A secret: from the configuration file, from `GATEHOUSE_<PATH>`, or from the file named by
 * `GATEHOUSE_<PATH>_FILE` (one trailing newline removed). More than one source is an error.
 */
export function readSecret(ctx: ReadContext, path: string, value: unknown, opts: Required = {}): string | undefined {
  const names = secretEnvNames(path);
  const fromEnv = ctx.env[names.value];
  const fileName = ctx.env[names.file];
  const sources = [
    value !== undefined && value !== null ? 'the configuration file' : undefined,
    fromEnv !== undefined ? names.value : undefined,
    fileName !== undefined ? names.file : undefined,
  ].filter((s): s is string => s !== undefined);
  if (sources.length > 1) {
    ctx.problems.error(path, `must be set in one place only but is set in ${sources.join(' and ')}`);
    return undefined;
  }
  if (fromEnv !== undefined) return readString(ctx, `${path} (from ${names.value})`, fromEnv, { required: true });
  if (fileName !== undefined) {
    try {
      const text = readFileSync(resolve(ctx.baseDir, fileName), 'utf8').replace(/\r?\n$/, '');
      return readString(ctx, `${path} (from ${names.file})`, text, { required: true });
    } catch (error) {
      ctx.problems.error(path, `must be readable from '${fileName}' (${names.file}) but ${fsReason(error)}`);
      return undefined;
    }
  }
  return readString(ctx, path, value, opts);
}

/** A short reason for a filesystem error: `no such file (ENOENT)`. */
export function fsReason(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const reasons: Record<string, string> = {
    ENOENT: 'there is no such file',
    EACCES: 'permission is denied',
    EISDIR: 'it is a folder',
    ENOTDIR: 'a part of the path is not a folder',
  };
  return code && reasons[code] ? `${reasons[code]} (${code})` : String((error as Error | undefined)?.message ?? error);
}
