import type { AccessRuleConfig } from '../../src/config/access-control.js';
import type { Policy } from '../../src/rules/policy.js';
import { readAccessRule } from '../../src/config/access-control-rule.js';
import { Problems } from '../../src/config/problems.js';
import { type RuleSet, type Subject, compileRules, isRefusal, parseTarget } from '../../src/rules/index.js';

/** Authelia's fixture subjects (internal/authorization/authorizer_test.go). */
export const John: Subject = { username: 'john', groups: ['dev', 'admins'], ip: '10.0.0.8', clientId: '' };
export const Bob: Subject = { username: 'bob', groups: [], ip: '10.0.0.7', clientId: '' };
export const Sam: Subject = { username: 'sam', groups: ['dev'], ip: 'fec0::1', clientId: '' };
export const Sally: Subject = { username: 'sally', groups: [], ip: 'fe80::1', clientId: '' };
export const Anonymous: Subject = { username: '', groups: [], ip: '127.0.0.1', clientId: '' };
export const AClient: Subject = { username: '', groups: [], ip: '10.0.0.9', clientId: 'a_client' };
export const BClient: Subject = { username: '', groups: [], ip: '10.0.0.9', clientId: 'b_client' };

/** Reads rules written as in YAML through the real validator; throws listing any problem. */
export function readRules(raw: readonly unknown[], networks: Record<string, string[]> = {}): AccessRuleConfig[] {
  const problems = new Problems();
  const ctx = { problems, env: {}, baseDir: '/' };
  const named = new Map(Object.entries(networks));
  const rules = raw.map((r, i) => readAccessRule(ctx, `access_control.rules[${i}]`, r, { networks: named }));
  if (problems.errors.length > 0) throw new Error(problems.errors.join('\n'));
  return rules as AccessRuleConfig[];
}

/** A rule set from raw rules. */
export function ruleSet(defaultPolicy: Policy, raw: readonly unknown[], networks?: Record<string, string[]>): RuleSet {
  return compileRules({ defaultPolicy, rules: readRules(raw, networks) });
}

/** Decides a URL; a refused request reads as `refused`. */
export function policyFor(rules: RuleSet, subject: Subject, url: string, method = 'GET'): Policy | 'refused' {
  const target = parseTarget(url, method);
  if (isRefusal(target)) return 'refused';
  const decision = rules.decide(subject, target);
  const explained = rules.explain(subject, target).decision;
  if (JSON.stringify(explained) !== JSON.stringify(decision)) {
    throw new Error(`explain decided ${JSON.stringify(explained)} but decide ${JSON.stringify(decision)}`);
  }
  return decision.policy;
}
