import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { closest, distance } from 'fastest-levenshtein';
import { autheliaOption } from './authelia-options.js';
import { parseDuration } from './duration.js';
import { type ConfigEnvironment, envPrefixes, envStem, parseEnvValue } from './environment.js';
import { type Problems, describe, indexPath, keyPath } from './problems.js';

/** What a section reader needs besides the raw value: where to report, and where secrets come from. */
export interface ReadContext {
  readonly problems: Problems;
  /** Environment variables, for secrets (`GATEHOUSE_<PATH>` and `GATEHOUSE_<PATH>_FILE`). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Folder of the configuration file; relative paths in the configuration resolve against it. */
  readonly baseDir: string;
  /** The keys environment variables set (`AUTHELIA_LOG_LEVEL`), applied by `readMapping`; absent: none. */
  readonly environment?: ConfigEnvironment;
  /** `certificates_directory`'s authorities with Node's roots, for every outgoing `tls`; absent: Node's roots. */
  readonly trustedAuthorities?: readonly string[] | undefined;
  /** With several configuration files: the folder of the file that set the key at `path`. */
  readonly baseDirOf?: (path: string) => string | undefined;
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
  if (value === undefined || value === null) return withEnvironment(ctx, path, {}, known, aliases);
  if (typeof value !== 'object' || Array.isArray(value)) {
    ctx.problems.error(path, `must be a mapping but is ${describe(value)}`);
    return undefined;
  }
  const out: Raw = {};
  for (const [key, entry] of Object.entries(value)) {
    // Own keys only: `constructor` or `toString` must not resolve to Object's built-ins.
    const name = (Object.hasOwn(aliases, key) ? aliases[key] : undefined) ?? key;
    if (!known.includes(name)) {
      const at = keyPath(path, key);
      const authelia = autheliaOption(at);
      if (authelia === undefined) ctx.problems.error(at, `is not a known key${suggestion(key, known)}`);
      else unsupportedAuthelia(ctx, at, authelia.what, authelia.noop?.(entry) === true);
      continue;
    }
    if (name !== key && Object.hasOwn(value, name)) {
      ctx.problems.error(keyPath(path, key), `is another name for '${name}'; set only one of them`);
      continue;
    }
    out[name] = entry;
  }
  return withEnvironment(ctx, path, out, known, aliases);
}

function withEnvironment(ctx: ReadContext, path: string, out: Raw, known: readonly string[], aliases: Readonly<Record<string, string>>): Raw {
  ctx.environment?.apply(path, out, known, aliases);
  return out;
}

/**
 * Reports an Authelia option that Gatehouse does not implement, in the one grammar every such
 * option uses: `<path>: is an Authelia option that Gatehouse does not support yet (<what>)`. With
 * `harmless` (its value asks for nothing: the feature off, an empty list) it is a warning and the
 * file loads.
 */
export function unsupportedAuthelia(ctx: ReadContext, path: string, what: string, harmless = false): void {
  const message = `is an Authelia option that Gatehouse does not support yet (${what})`;
  if (harmless) ctx.problems.warn(path, `${message}; its value here asks for nothing, so it is ignored`);
  else ctx.problems.error(path, message);
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
export function readList<T>(ctx: ReadContext, path: string, given: unknown, item: (entry: unknown, path: string, index: number) => T | undefined): T[] {
  // An environment variable gives a list as Authelia reads one: `a,b,c`.
  const value = typeof given === 'string' && ctx.environment?.origin(path) ? given.split(',').map((s) => parseEnvValue(s.trim())) : given;
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
  return isAbsolute(text) ? text : resolve(ctx.baseDirOf?.(path) ?? ctx.baseDir, text);
}

/** Gatehouse's environment variable names that may carry the secret at `path` (Authelia's `AUTHELIA_` names are aliases). */
export function secretEnvNames(path: string): { value: string; file: string } {
  const name = `GATEHOUSE_${envStem(path)}`;
  return { value: name, file: `${name}_FILE` };
}

/**
 * A secret: from the configuration file, from `GATEHOUSE_<PATH>` or `AUTHELIA_<PATH>`, or from the file
 * named by `GATEHOUSE_<PATH>_FILE` or `AUTHELIA_<PATH>_FILE` (trailing newlines removed, as Authelia
 * does). More than one source is an error, naming them.
 */
export function readSecret(ctx: ReadContext, path: string, value: unknown, opts: Required = {}): string | undefined {
  const stem = envStem(path);
  const files = envPrefixes.map((p) => `${p}${stem}_FILE`).filter((n) => ctx.env[n] !== undefined);
  for (const name of files) ctx.environment?.use(name);
  const fromVariable = ctx.environment ? ctx.environment.origin(path) : plainSecretVariable(ctx, path, stem);
  if (fromVariable === null) return undefined;
  const inFile = fromVariable === undefined ? value !== undefined && value !== null : ctx.environment?.replaced(path) === true;
  const sources = [inFile ? 'the configuration file' : undefined, fromVariable, ...files].filter((s): s is string => s !== undefined);
  if (sources.length > 1) {
    ctx.problems.error(path, `must be set in one place only but is set in ${sources.join(' and ')}`);
    return undefined;
  }
  // The variable's text as given, not as a YAML scalar: a secret `12345` stays a string.
  if (fromVariable !== undefined) return readString(ctx, `${path} (from ${fromVariable})`, ctx.env[fromVariable], { required: true });
  const fileVariable = files[0];
  if (fileVariable !== undefined) return readSecretFile(ctx, path, fileVariable);
  return readString(ctx, path, value, opts);
}

/** Without a ConfigEnvironment (a reader used on its own): the plain variable naming the secret; `null` when two do. */
function plainSecretVariable(ctx: ReadContext, path: string, stem: string): string | undefined | null {
  const set = envPrefixes.map((p) => `${p}${stem}`).filter((n) => ctx.env[n] !== undefined);
  if (set.length > 1) {
    ctx.problems.error(path, `must be set by one environment variable only but is set by ${set.join(' and ')}`);
    return null;
  }
  return set[0];
}

function readSecretFile(ctx: ReadContext, path: string, variable: string): string | undefined {
  const fileName = ctx.env[variable] ?? '';
  try {
    const text = readFileSync(resolve(ctx.baseDir, fileName), 'utf8').replace(/(?:\r?\n)+$/, '');
    return readString(ctx, `${path} (from ${variable})`, text, { required: true });
  } catch (error) {
    ctx.problems.error(path, `must be readable from '${fileName}' (${variable}) but ${fsReason(error)}`);
    return undefined;
  }
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
