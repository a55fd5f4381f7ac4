import yaml from 'js-yaml';
import { type Problems, keyPath } from './problems.js';

/**
 * The prefixes whose variables configure Gatehouse: ours, and Authelia's, so that an Authelia
 * deployment's environment loads unchanged. `AUTHELIA_LOG_LEVEL` and `GATEHOUSE_LOG_LEVEL` both set `log.level`.
 */
export const envPrefixes = ['GATEHOUSE_', 'AUTHELIA_'] as const;

/** Variables with a configuration prefix that name no key: where the configuration files are, and their filters. */
const notKeys = new Set(['GATEHOUSE_CONFIG', 'GATEHOUSE_CONFIG_FILTERS']);

type Env = Readonly<Record<string, string | undefined>>;

/** `identity_providers.oidc.clients[0].client_secret` → `IDENTITY_PROVIDERS_OIDC_CLIENTS_0_CLIENT_SECRET` (no prefix). */
export function envStem(path: string): string {
  return path
    .replace(/\[(\d+)\]/g, '_$1')
    .replace(/\./g, '_')
    .toUpperCase();
}

/**
 * An environment value as the configuration reads it: a YAML scalar (`true`, `4096`, `1h`), or a flow
 * list of scalars (`[a, b]`); anything else, and text YAML cannot read, stays the text as given.
 * Quoting (`'2024'`) keeps a number-like value a string.
 */
export function parseEnvValue(text: string): unknown {
  if (text.trim() === '') return text;
  let parsed: unknown;
  try {
    parsed = yaml.load(text, { schema: yaml.CORE_SCHEMA });
  } catch {
    return text;
  }
  const scalar = (v: unknown) => typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';
  if (scalar(parsed)) return parsed;
  if (Array.isArray(parsed) && parsed.every(scalar)) return parsed;
  return text;
}

/**
 * The configuration keys set by environment variables, applied mapping by mapping as the
 * configuration is read (Authelia's order: the environment is applied after the files, so a key set
 * in both takes the environment's value). Secrets' `_FILE` variables are left to `readSecret`.
 */
export class ConfigEnvironment {
  readonly #env: Env;
  readonly #problems: Problems;
  /** The variables with a configuration prefix, each with its name after the prefix. */
  readonly #variables: { name: string; rest: string }[];
  readonly #used = new Set<string>();
  /** Dotted path → the variable that set it. */
  readonly #origins = new Map<string, string>();
  /** Dotted paths whose value in the files the environment replaced. */
  readonly #replaced = new Set<string>();

  constructor(env: Env, problems: Problems) {
    this.#env = env;
    this.#problems = problems;
    this.#variables = Object.keys(env)
      .filter((name) => env[name] !== undefined && !notKeys.has(name))
      .flatMap((name) => envPrefixes.filter((p) => name.startsWith(p)).map((p) => ({ name, rest: name.slice(p.length) })));
  }

  /**
   * Sets into `out` (the mapping read at `path`) every key an environment variable gives, and creates an
   * empty mapping for a known key that a longer variable configures below (`AUTHELIA_NOTIFIER_SMTP_ADDRESS`
   * creates `notifier` and `notifier.smtp`). `aliases` maps another accepted name to ours.
   */
  apply(path: string, out: Record<string, unknown>, known: readonly string[], aliases: Readonly<Record<string, string>> = {}): void {
    const stem = path === '' ? '' : `${envStem(path)}_`;
    const names = new Map<string, string>([
      ...known.map((k) => [k.toUpperCase(), k] as const),
      ...Object.entries(aliases).map(([a, k]) => [a.toUpperCase(), k] as const),
    ]);
    const byKey = new Map<string, { name: string; value: string }[]>();
    for (const { name, rest } of this.#variables) {
      if (!rest.startsWith(stem)) continue;
      const tail = rest.slice(stem.length);
      const exact = names.get(tail);
      if (exact !== undefined) {
        byKey.set(exact, [...(byKey.get(exact) ?? []), { name, value: this.#env[name] ?? '' }]);
        continue;
      }
      const parent = longestParent(tail, names);
      if (parent !== undefined && (out[parent] === undefined || out[parent] === null) && !names.has(tail.replace(/_FILE$/, ''))) out[parent] = {};
    }
    for (const [key, setters] of byKey) this.#set(keyPath(path, key), key, setters, out);
  }

  #set(path: string, key: string, setters: { name: string; value: string }[], out: Record<string, unknown>): void {
    for (const s of setters) this.#used.add(s.name);
    const byPrefix = (name: string) => envPrefixes.findIndex((p) => name.startsWith(p));
    const distinct = [...new Set(setters.map((s) => s.name))].sort((a, b) => byPrefix(a) - byPrefix(b));
    // Both prefixes: an error, and the GATEHOUSE_ value read on, so that the key is not also reported absent.
    if (distinct.length > 1) this.#problems.error(path, `must be set by one environment variable only but is set by ${distinct.join(' and ')}`);
    const setter = setters.find((s) => s.name === distinct[0]);
    if (!setter) return;
    if (out[key] !== undefined && out[key] !== null) this.#replaced.add(path);
    out[key] = parseEnvValue(setter.value);
    this.#origins.set(path, setter.name);
  }

  /** The variable that set the key at `path`, if one did. */
  origin(path: string): string | undefined {
    return this.#origins.get(path);
  }

  /** Whether the files also set the key at `path` (the environment's value replaced theirs). */
  replaced(path: string): boolean {
    return this.#replaced.has(path);
  }

  /** Records that `readSecret` read `name`. */
  use(name: string): void {
    this.#used.add(name);
  }

  /** Variables with a configuration prefix that set nothing: a typo, or a key Gatehouse does not read. */
  unused(): string[] {
    return [...new Set(this.#variables.map((v) => v.name))].filter((name) => !this.#used.has(name)).sort();
  }
}

/** The longest known key `K` such that `tail` starts with `K_`. */
function longestParent(tail: string, names: ReadonlyMap<string, string>): string | undefined {
  let best: string | undefined;
  for (const [upper, key] of names) {
    if (tail.startsWith(`${upper}_`) && (best === undefined || upper.length > best.length)) best = key;
  }
  return best;
}
