import type { RuleReadOptions } from './access-control-criteria.js';
import { expandRulesFiles, readPolicyFile } from './access-control-files.js';
import type { Policy } from '../rules/policy.js';
import { readAccessRule } from './access-control-rule.js';
import { type AccessRuleConfig, policies } from './access-control-rule-config.js';
import { findShadowedRules } from './access-control-shadow.js';
import { readLegacyNetworks } from './definitions.js';
import { keyPath } from './problems.js';
import { type ReadContext, readChoice, readList, readMapping } from './reader.js';

export type { AccessRuleConfig, QueryCondition, QueryOperator, RegexConfig, SubjectCriterion } from './access-control-rule-config.js';
export { policies, queryOperators, ruleMethods } from './access-control-rule-config.js';

/** `access_control`, validated: inline rules first, then each rules file's rules in file order. */
export interface AccessControlConfig {
  readonly defaultPolicy: Policy;
  readonly rules: readonly AccessRuleConfig[];
  /** The policy files named by `rules_files`, resolved (absolute paths), in the order read. */
  readonly rulesFiles: readonly string[];
}

/** Applies when `access_control` is absent: nothing is reachable until rules are written. */
export const defaultAccessControl: AccessControlConfig = { defaultPolicy: 'deny', rules: [], rulesFiles: [] };

/**
 * Reads `access_control`, following Authelia's validation: `default_policy` defaults to
 * `deny`; with no rules it must be `one_factor` or `two_factor`. Rules that an earlier rule
 * always pre-empts are reported as warnings. `networks` (definitions.network merged with the
 * legacy `access_control.networks`) is completed with the legacy entries.
 */
export function readAccessControl(
  ctx: ReadContext,
  value: unknown,
  networks: Map<string, readonly string[]>,
  options: Omit<RuleReadOptions, 'networks'> = {},
): AccessControlConfig {
  if (value === undefined || value === null) return defaultAccessControl;
  const path = 'access_control';
  const raw = readMapping(ctx, path, value, ['default_policy', 'networks', 'rules', 'rules_files']);
  if (!raw) return defaultAccessControl;
  readLegacyNetworks(ctx, keyPath(path, 'networks'), raw.networks, networks);
  const readOptions: RuleReadOptions = { ...options, networks };
  const defaultPolicy = readChoice(ctx, keyPath(path, 'default_policy'), raw.default_policy, policies, 'deny');
  const rules = readList(ctx, keyPath(path, 'rules'), raw.rules, (entry, at) => readAccessRule(ctx, at, entry, readOptions));
  const rulesFiles = expandRulesFiles(ctx, keyPath(path, 'rules_files'), raw.rules_files);
  for (const file of rulesFiles) {
    const policyFile = readPolicyFile(ctx, file, readOptions);
    if (policyFile) rules.push(...policyFile.rules);
  }
  const written = countWritten(raw.rules) + countWritten(raw.rules_files);
  if (written === 0 && defaultPolicy !== 'one_factor' && defaultPolicy !== 'two_factor') {
    ctx.problems.error(keyPath(path, 'default_policy'), `must be 'one_factor' or 'two_factor' when no rules are written but is '${defaultPolicy}'`);
  } else if (written === 0) {
    ctx.problems.warn(keyPath(path, 'default_policy'), `applies to every request because no rules are written`);
  }
  for (const { rule, by } of findShadowedRules(rules)) {
    ctx.problems.warn(rule.source, `can never match because ${by.source} always matches first`);
  }
  return { defaultPolicy, rules, rulesFiles };
}

function countWritten(rules: unknown): number {
  return Array.isArray(rules) ? rules.length : typeof rules === 'string' ? 1 : 0;
}
