import { closest, distance } from 'fastest-levenshtein';
import ipaddr from 'ipaddr.js';
import { type QueryCondition, type QueryOperator, type RegexConfig, type SubjectCriterion, queryOperators, ruleMethods } from './access-control-rule-config.js';
import { canonicalHostname } from '../shared/authority.js';
import type { NamedNetworks } from './definitions.js';
import { describe, indexPath, keyPath } from './problems.js';
import { type ReadContext, readChoice, readList, readMapping } from './reader.js';
import { compileRegex } from './access-control-regex.js';

export interface RuleReadOptions {
  readonly networks: NamedNetworks;
  /**
   * The configured OIDC client ids (`identity_providers.oidc.clients[].client_id`), to check
   * `oauth2:client:` subjects; `undefined` when no provider is configured (a policy file read on
   * its own), and then such subjects are accepted unchecked.
   */
  readonly clientIds?: ReadonlySet<string>;
}

/** A string or a list of strings (Authelia accepts both); each entry with its dotted path. */
function readStrings(ctx: ReadContext, path: string, value: unknown): { text: string; at: string }[] {
  if (typeof value === 'string') return [{ text: value, at: indexPath(path, 0) }];
  return readList(ctx, path, value, (entry, at) => {
    if (typeof entry === 'string' && entry.trim() !== '') return { text: entry, at };
    ctx.problems.error(at, `must be a non-empty string but is ${describe(entry)}`);
    return undefined;
  });
}

/** What may precede a host name in a `domain` entry (compared ignoring case). */
const domainPrefixes = ['*.', '{user}.', '{group}.'] as const;

/**
 * `domain`: each entry a host name, optionally after `*.`, `{user}.` or `{group}.`, in the form
 * request hosts are compared in (`canonicalHostname`: IDNA to punycode, lower case, one
 * trailing dot dropped), so `Bücher.example.com.` matches a request for
 * `xn--bcher-kva.example.com`. An entry that is no host name is an error: it could never
 * match. `*foo` without a dot is kept as written with Authelia's warning.
 */
export function readDomains(ctx: ReadContext, path: string, value: unknown): string[] {
  return readStrings(ctx, path, value).flatMap(({ text, at }) => {
    const written = text.trim();
    const lower = written.toLowerCase();
    if (lower.startsWith('*') && !lower.startsWith('*.')) {
      ctx.problems.warn(at, `should start with '*.' to match subdomains (a '*' elsewhere is matched literally) but is '${text}'`);
      return [lower];
    }
    const prefix = domainPrefixes.find((p) => lower.startsWith(p)) ?? '';
    const rest = written.slice(prefix.length);
    const name = rest === '' ? { reason: 'is empty' } : canonicalHostname(rest);
    if (typeof name !== 'string') {
      const which = prefix === '' ? 'which' : `whose host name after '${prefix}'`;
      ctx.problems.error(
        at,
        `must be a host name such as 'app.example.com', '*.example.com' or '{user}.example.com' but is '${text}', ${which} ${name.reason}`,
      );
      return [];
    }
    return [prefix + name];
  });
}

/** A list of regular expressions, each compiled to report syntax errors. */
export function readRegexList(ctx: ReadContext, path: string, value: unknown): RegexConfig[] {
  return readStrings(ctx, path, value).flatMap(({ text, at }) => {
    const regex = readRegex(ctx, at, text);
    return regex ? [regex] : [];
  });
}

function readRegex(ctx: ReadContext, path: string, text: string): RegexConfig | undefined {
  const compiled = compileRegex(text);
  if ('error' in compiled) {
    ctx.problems.error(path, `must be a valid regular expression but is '${text}' (${compiled.error})`);
    return undefined;
  }
  return compiled.regex;
}

/** `methods`: upper-cased, from Authelia's list, no repeats. */
export function readMethods(ctx: ReadContext, path: string, value: unknown): string[] {
  const out: string[] = [];
  for (const { text, at } of readStrings(ctx, path, value)) {
    const method = text.trim().toUpperCase();
    if (!(ruleMethods as readonly string[]).includes(method)) {
      ctx.problems.error(at, `must be one of ${ruleMethods.map((m) => `'${m}'`).join(', ')} but is '${text}'`);
    } else if (out.includes(method)) {
      ctx.problems.error(at, `must not repeat '${method}' but is '${text}'`);
    } else out.push(method);
  }
  return out;
}

/** `networks`: CIDRs, single addresses or names from `definitions.network`, expanded to CIDRs. */
export function readNetworks(ctx: ReadContext, path: string, value: unknown, named: NamedNetworks): string[] {
  return readStrings(ctx, path, value).flatMap(({ text, at }) => {
    const name = named.get(text);
    if (name) return [...name];
    try {
      if (text.includes('/')) {
        const [addr, bits] = ipaddr.parseCIDR(text);
        return [`${addr.toString()}/${bits}`];
      }
      const addr = ipaddr.parse(text);
      return [`${addr.toString()}/${addr.kind() === 'ipv4' ? 32 : 128}`];
    } catch {
      if (/^[0-9a-fA-F:.]+(\/\d*)?$/.test(text) && /[.:/]/.test(text)) {
        ctx.problems.error(at, `must be an IP address or a CIDR such as '10.0.0.0/8' but is '${text}'`);
      } else {
        const names = [...named.keys()];
        const best = names.length > 0 ? closest(text, names) : undefined;
        const hint = best !== undefined && distance(text, best) <= 2 ? `, did you mean '${best}'?` : '';
        ctx.problems.error(at, `must be a CIDR, an IP address or a network name from definitions.network but is '${text}'${hint}`);
      }
      return [];
    }
  });
}

const subjectPrefixes = [
  ['user:', 'user'],
  ['group:', 'group'],
  ['oauth2:client:', 'client'],
] as const;

/** `subject`: a string, or a list whose entries are strings or lists (AND) of strings. */
export function readSubjects(ctx: ReadContext, path: string, value: unknown, options: RuleReadOptions): SubjectCriterion[][] {
  const outer = typeof value === 'string' ? [value] : value;
  return readList(ctx, path, outer, (entry, at) => {
    const inner = typeof entry === 'string' ? [{ text: entry, at }] : readStrings(ctx, at, entry);
    const read = inner.map(({ text, at: innerAt }) => readSubject(ctx, innerAt, text, options));
    return read.every((s) => s !== undefined) && read.length > 0 ? (read as SubjectCriterion[]) : undefined;
  });
}

function readSubject(ctx: ReadContext, path: string, text: string, options: RuleReadOptions): SubjectCriterion | undefined {
  const prefix = subjectPrefixes.find(([p]) => text.startsWith(p));
  if (!prefix) {
    ctx.problems.error(path, `must start with 'user:', 'group:' or 'oauth2:client:' but is '${text}'`);
    return undefined;
  }
  const [start, kind] = prefix;
  const name = text.slice(start.length).trim();
  if (name === '') {
    ctx.problems.error(path, `must name a ${kind} after '${start}' but is '${text}'`);
    return undefined;
  }
  if (kind === 'client' && options.clientIds !== undefined && !options.clientIds.has(name)) {
    ctx.problems.error(path, `must name a client from identity_providers.oidc.clients but is '${text}'`);
    return undefined;
  }
  return { kind, name };
}

/** `query`: outer list OR of inner lists AND of `{operator, key, value}`. */
export function readQuery(ctx: ReadContext, path: string, value: unknown): QueryCondition[][] {
  return readList(ctx, path, value, (entry, at) => {
    const inner = entry !== null && typeof entry === 'object' && !Array.isArray(entry) ? [entry] : entry;
    const read = readList(ctx, at, inner, (condition, conditionAt) => readCondition(ctx, conditionAt, condition));
    return Array.isArray(inner) && read.length === inner.length && read.length > 0 ? read : undefined;
  });
}

function readCondition(ctx: ReadContext, path: string, value: unknown): QueryCondition | undefined {
  const raw = readMapping(ctx, path, value, ['operator', 'key', 'value']);
  if (!raw) return undefined;
  const key = typeof raw.key === 'string' && raw.key !== '' ? raw.key : undefined;
  if (key === undefined) ctx.problems.error(keyPath(path, 'key'), `must be a non-empty string but is ${raw.key === undefined ? 'absent' : describe(raw.key)}`);
  const hasValue = raw.value !== undefined && raw.value !== null;
  const fallback: QueryOperator = hasValue ? 'equal' : 'present';
  const operatorAt = keyPath(path, 'operator');
  const operator = readChoice(ctx, operatorAt, raw.operator, queryOperators, fallback);
  const valueAt = keyPath(path, 'value');
  const text = typeof raw.value === 'string' || typeof raw.value === 'number' || typeof raw.value === 'boolean' ? String(raw.value) : undefined;
  if (hasValue && text === undefined) {
    ctx.problems.error(valueAt, `must be a string but is ${describe(raw.value)}`);
    return undefined;
  }
  if ((operator === 'present' || operator === 'absent') && hasValue) {
    ctx.problems.error(valueAt, `must not be set when operator is '${operator}' but is '${text}'`);
    return undefined;
  }
  if (operator !== 'present' && operator !== 'absent' && !hasValue) {
    ctx.problems.error(valueAt, `must be set when operator is '${operator}' but is absent`);
    return undefined;
  }
  if (key === undefined || text === undefined) return key === undefined ? undefined : { operator, key };
  if (operator === 'pattern' || operator === 'not pattern') {
    const pattern = readRegex(ctx, valueAt, text);
    return pattern ? { operator, key, pattern } : undefined;
  }
  return { operator, key, value: text };
}
