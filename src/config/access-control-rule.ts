import { readDomains, readMethods, readNetworks, readQuery, readRegexList, readSubjects, type RuleReadOptions } from './access-control-criteria.js';
import { keyPath } from './problems.js';
import { type ReadContext, readMapping } from './reader.js';

/** What a matching rule requires; Authelia's names and order of strictness. */
export type Policy = 'bypass' | 'one_factor' | 'two_factor' | 'deny';
export const policies: readonly Policy[] = ['bypass', 'one_factor', 'two_factor', 'deny'];

export type QueryOperator = 'equal' | 'not equal' | 'present' | 'absent' | 'pattern' | 'not pattern';
export const queryOperators: readonly QueryOperator[] = ['equal', 'not equal', 'present', 'absent', 'pattern', 'not pattern'];

/** HTTP methods a rule may name (Authelia's list, WebDAV included). */
export const ruleMethods = [
  'GET',
  'HEAD',
  'POST',
  'PUT',
  'DELETE',
  'CONNECT',
  'OPTIONS',
  'TRACE',
  'PATCH',
  'PROPFIND',
  'PROPPATCH',
  'MKCOL',
  'COPY',
  'MOVE',
  'LOCK',
  'UNLOCK',
] as const;

/**
 * A regular expression as written (`pattern`, Go RE2 syntax accepted) and its JavaScript form.
 * `captures` says whether it has the named groups `User` / `Group` bound to the subject.
 */
export interface RegexConfig {
  readonly pattern: string;
  readonly source: string;
  readonly flags: string;
  readonly captures: { readonly user: boolean; readonly group: boolean };
}

/** One `subject` entry: `user:NAME`, `group:NAME` or `oauth2:client:ID`. */
export interface SubjectCriterion {
  readonly kind: 'user' | 'group' | 'client';
  readonly name: string;
}

export interface QueryCondition {
  readonly operator: QueryOperator;
  readonly key: string;
  /** For `equal` / `not equal`. */
  readonly value?: string;
  /** For `pattern` / `not pattern`. */
  readonly pattern?: RegexConfig;
}

/** One validated access-control rule. Every list criterion is OR over its entries; an empty one matches. */
export interface AccessRuleConfig {
  /** Where the rule was written, for messages: `access_control.rules[3]` or `rules/apps.yml:rules[0]`. */
  readonly source: string;
  readonly policy: Policy;
  /**
   * Canonical host names (punycode, lower case, no trailing dot), each optionally after `*.`,
   * `{user}.` or `{group}.`: `app.example.com`, `*.example.com`, `{user}.example.com`.
   */
  readonly domain: readonly string[];
  readonly domainRegex: readonly RegexConfig[];
  /** Regexes over the normalised `path?query`. */
  readonly resources: readonly RegexConfig[];
  /** Upper-case. */
  readonly methods: readonly string[];
  /** CIDRs; network names are already expanded. */
  readonly networks: readonly string[];
  /** Outer list OR, inner list AND. */
  readonly subject: readonly (readonly SubjectCriterion[])[];
  /** Outer list OR, inner list AND. */
  readonly query: readonly (readonly QueryCondition[])[];
}

const ruleKeys = ['domain', 'domain_regex', 'policy', 'subject', 'networks', 'resources', 'methods', 'query'];

/** Reads one rule at `path` (reported as `source`); `undefined` when it has an error. */
export function readAccessRule(ctx: ReadContext, path: string, value: unknown, options: RuleReadOptions): AccessRuleConfig | undefined {
  const raw = readMapping(ctx, path, value, ruleKeys);
  if (!raw) return undefined;
  const before = ctx.problems.errors.length;
  const policy = readPolicy(ctx, keyPath(path, 'policy'), raw.policy);
  const domain = readDomains(ctx, keyPath(path, 'domain'), raw.domain);
  const domainRegex = readRegexList(ctx, keyPath(path, 'domain_regex'), raw.domain_regex);
  if (raw.domain === undefined && raw.domain_regex === undefined) {
    ctx.problems.error(path, "must set 'domain' or 'domain_regex' but sets neither");
  }
  const resources = readRegexList(ctx, keyPath(path, 'resources'), raw.resources);
  const subject = readSubjects(ctx, keyPath(path, 'subject'), raw.subject, options);
  if (policy === 'bypass') {
    if (subject.length > 0) {
      ctx.problems.error(keyPath(path, 'subject'), "must not be set when policy is 'bypass' but is set");
    }
    checkNoCaptures(ctx, keyPath(path, 'domain_regex'), domainRegex);
    checkNoCaptures(ctx, keyPath(path, 'resources'), resources);
  }
  const rule: AccessRuleConfig = {
    source: path,
    policy: policy ?? 'deny',
    domain,
    domainRegex,
    resources,
    methods: readMethods(ctx, keyPath(path, 'methods'), raw.methods),
    networks: readNetworks(ctx, keyPath(path, 'networks'), raw.networks, options.networks),
    subject,
    query: readQuery(ctx, keyPath(path, 'query'), raw.query),
  };
  return ctx.problems.errors.length === before ? rule : undefined;
}

function readPolicy(ctx: ReadContext, path: string, value: unknown): Policy | undefined {
  if (typeof value === 'string' && (policies as readonly string[]).includes(value)) return value as Policy;
  const found = value === undefined || value === null ? 'absent' : typeof value === 'string' ? `'${value}'` : `${typeof value} ${String(value)}`;
  ctx.problems.error(path, `must be one of ${policies.map((p) => `'${p}'`).join(', ')} but is ${found}`);
  return undefined;
}

function checkNoCaptures(ctx: ReadContext, path: string, regexes: readonly RegexConfig[]): void {
  regexes.forEach((regex, index) => {
    if (regex.captures.user || regex.captures.group) {
      ctx.problems.error(`${path}[${index}]`, `must not capture the named groups 'User' or 'Group' when policy is 'bypass' but is '${regex.pattern}'`);
    }
  });
}
