/**
 * The shape of a validated access-control rule and the value lists its reader checks against:
 * what the rule engine (rules/) compiles. Reading lives in access-control-rule.ts and
 * access-control-criteria.ts.
 */
import type { Policy } from '../rules/policy.js';
import { everyMember } from '../shared/every-member.js';

/** The policies a rule may name (rules/policy.ts declares the type), in order of strictness. */
export const policies = everyMember<Policy>()(['bypass', 'one_factor', 'two_factor', 'deny']);

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
