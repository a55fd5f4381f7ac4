import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, extname, join, resolve } from 'node:path';
import yaml from 'js-yaml';
import { ConfigError } from '../shared/errors.js';
import { keyPath } from './problems.js';
import { fsReason } from './reader.js';

type Env = Readonly<Record<string, string | undefined>>;

/** The configuration document merged from several files, and which file set each key. */
export interface ConfigSources {
  /** The files read, in the order they were merged (a folder's files in name order). */
  readonly files: readonly string[];
  readonly document: unknown;
  /** Dotted path → the file that last set it (mappings merged: their keys each have their own file). */
  readonly origins: ReadonlyMap<string, string>;
}

/** The file filters Authelia documents; `template` (Go templates) has no equivalent here. */
export const fileFilters = ['expand-env', 'template'] as const;

/**
 * The file filters from `X_AUTHELIA_CONFIG_FILTERS` or `GATEHOUSE_CONFIG_FILTERS` (comma-separated).
 * @throws ConfigError when both are set.
 */
export function configFilters(env: Env): string[] {
  const set = ['GATEHOUSE_CONFIG_FILTERS', 'X_AUTHELIA_CONFIG_FILTERS'].filter((n) => env[n] !== undefined);
  if (set.length > 1) throw new ConfigError([`the file filters must be set by one environment variable only but are set by ${set.join(' and ')}`]);
  return splitConfigPaths([env[set[0] ?? ''] ?? '']);
}

/**
 * Splits configuration paths as Authelia reads `--config` and `X_AUTHELIA_CONFIG`: each entry may hold
 * several paths separated by commas. Empty entries are dropped.
 */
export function splitConfigPaths(entries: readonly string[]): string[] {
  return entries
    .flatMap((e) => e.split(','))
    .map((p) => p.trim())
    .filter((p) => p !== '');
}

/**
 * Reads the configuration paths (files, or folders whose `.yml`, `.yaml` and `.json` files are read in name
 * order, not recursively), runs each file's text through `filters` (`expand-env`), and merges the documents
 * in order as Authelia does: mappings merge key by key at every depth; any other value (a scalar, a list) set
 * again replaces the earlier one, so the last file wins.
 * @throws ConfigError naming the file (unreadable, YAML syntax, not a mapping, a filter that is not supported).
 */
export function readConfigSources(paths: readonly string[], filters: readonly string[], env: Env): ConfigSources {
  checkFilters(filters);
  const files = expandPaths(paths);
  const origins = new Map<string, string>();
  let document: Record<string, unknown> = {};
  for (const file of files) {
    const raw = parseFile(file, applyFilters(readText(file), filters, env));
    if (raw === undefined || raw === null) continue;
    if (typeof raw !== 'object' || Array.isArray(raw)) {
      throw new ConfigError([`${file}: the configuration file must hold a mapping of sections at its top level`]);
    }
    document = mergeInto(document, raw as Record<string, unknown>, '', file, origins);
  }
  return { files, document, origins };
}

function checkFilters(filters: readonly string[]): void {
  const seen = new Set<string>();
  for (const name of filters.map((f) => f.toLowerCase())) {
    if (name === 'template') {
      throw new ConfigError([
        "X_AUTHELIA_CONFIG_FILTERS: the 'template' filter (Go templates) is not supported by Gatehouse; use 'expand-env' ($VARIABLE in the files), AUTHELIA_<KEY> variables, or <KEY>_FILE variables for secrets",
      ]);
    }
    if (!(fileFilters as readonly string[]).includes(name)) {
      throw new ConfigError([`X_AUTHELIA_CONFIG_FILTERS: must list filters among 'expand-env' but has '${name}'`]);
    }
    if (seen.has(name)) throw new ConfigError([`X_AUTHELIA_CONFIG_FILTERS: names the filter '${name}' twice`]);
    seen.add(name);
  }
}

/** Files as given, folders as their configuration files; a file given inside a folder also given is refused (Authelia's rule). */
function expandPaths(paths: readonly string[]): string[] {
  if (paths.length === 0) throw new ConfigError(['no configuration file is given']);
  const folders: string[] = [];
  const out: string[] = [];
  for (const path of paths) {
    let isFolder: boolean;
    try {
      isFolder = statSync(path).isDirectory();
    } catch (error) {
      throw new ConfigError([`cannot read the configuration file '${path}': ${fsReason(error)}`]);
    }
    if (!isFolder) {
      out.push(path);
      continue;
    }
    folders.push(resolve(path));
    const names = readdirSync(path, { withFileTypes: true })
      .filter((e) => !e.isDirectory() && ['.yml', '.yaml', '.json'].includes(extname(e.name)))
      .map((e) => e.name)
      .sort();
    if (names.length === 0) throw new ConfigError([`the configuration folder '${path}' holds no configuration file (.yml, .yaml or .json)`]);
    out.push(...names.map((n) => join(path, n)));
  }
  const inside = paths.find((p) => folders.includes(dirname(resolve(p))) && !folders.includes(resolve(p)));
  if (inside !== undefined) {
    throw new ConfigError([`the configuration file '${inside}' is inside a folder that is also given; give one or the other`]);
  }
  return out;
}

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError([`cannot read the configuration file '${file}': ${fsReason(error)}`]);
  }
}

function parseFile(file: string, text: string): unknown {
  try {
    return yaml.load(text, { filename: file, schema: yaml.CORE_SCHEMA });
  } catch (error) {
    if (error instanceof yaml.YAMLException) {
      const { line, column } = error.mark ?? { line: 0, column: 0 };
      throw new ConfigError([`${file}:${line + 1}:${column + 1}: YAML syntax error: ${error.reason}`]);
    }
    throw error;
  }
}

function applyFilters(text: string, filters: readonly string[], env: Env): string {
  return filters.reduce((t, f) => (f.toLowerCase() === 'expand-env' ? expandEnv(t, env) : t), text);
}

/** Configuration variables that hold secrets: `expand-env` leaves them out (empty), as Authelia does. */
function isSecretVariable(name: string): boolean {
  return /^(?:X_)?(?:AUTHELIA|GATEHOUSE)_/.test(name) && /(?:KEY|SECRET|PASSWORD|TOKEN|CERTIFICATE_CHAIN)(?:_FILE)?$/.test(name);
}

/**
 * Authelia's `expand-env` filter (Go's os.Expand): `${NAME}` and `$NAME` become the variable's value, or
 * nothing when it is unset or a configuration secret; `$$` is a `$`. A `$` not followed by a name stays.
 */
export function expandEnv(text: string, env: Env): string {
  return text.replace(/\$(?:\{([^}]*)\}|([A-Za-z0-9_]+)|(\$))/g, (_match, braced?: string, bare?: string, dollar?: string) => {
    if (dollar !== undefined) return '$';
    const name = braced ?? bare ?? '';
    return isSecretVariable(name) ? '' : (env[name] ?? '');
  });
}

/** Merges `next` into `base` (a new object): mappings deeply, anything else replaced; records each key's file. */
function mergeInto(
  base: Record<string, unknown>,
  next: Record<string, unknown>,
  path: string,
  file: string,
  origins: Map<string, string>,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(next)) {
    const at = keyPath(path, key);
    const before = out[key];
    if (isMapping(before) && isMapping(value)) {
      out[key] = mergeInto(before, value, at, file, origins);
    } else {
      out[key] = value;
      forget(origins, at);
      if (isMapping(value)) recordAll(value, at, file, origins);
    }
    origins.set(at, file);
  }
  return out;
}

function recordAll(value: Record<string, unknown>, path: string, file: string, origins: Map<string, string>): void {
  for (const [key, entry] of Object.entries(value)) {
    const at = keyPath(path, key);
    origins.set(at, file);
    if (isMapping(entry)) recordAll(entry, at, file, origins);
  }
}

function forget(origins: Map<string, string>, path: string): void {
  for (const key of origins.keys()) if (key.startsWith(`${path}.`) || key.startsWith(`${path}[`)) origins.delete(key);
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The file that set the key at `path` or, failing that, the nearest mapping above it. */
export function originOf(origins: ReadonlyMap<string, string>, path: string): string | undefined {
  for (let at = path; at !== ''; at = at.replace(/(?:\.[^.[]*|\[\d+\])$/, '')) {
    const file = origins.get(at);
    if (file !== undefined) return file;
    if (!/[.[]/.test(at)) break;
  }
  return undefined;
}
