import type { AccessRuleConfig } from '../config/access-control.js';
import type { CompiledRule, RuleIndex } from './compiled-rule.js';
import { compileCriteria } from './criteria.js';
import { type Decision, decide, packDecision } from './decide.js';
import { type Explanation, explain } from './explain.js';
import type { Policy } from './policy.js';
import type { Subject } from './subject.js';
import type { Target } from './target.js';

/** The compiled rules: decisions need no further parsing or compiling. */
export interface RuleSet {
  readonly defaultPolicy: Policy;
  readonly rules: readonly CompiledRule[];
  /** First matching rule's policy, else the default policy. */
  decide(subject: Subject, target: Target): Decision;
  /** Every rule with the first criterion that failed, and the decision. */
  explain(subject: Subject, target: Target): Explanation;
}

/**
 * Compiles access-control rules once: regexes compiled, CIDRs parsed, and rules whose `domain`
 * entries are all exact names indexed by name, so a decision only evaluates the rules that
 * name the request's domain plus those that do not name exact domains — first-match order kept.
 */
export function compileRules(config: { readonly defaultPolicy: Policy; readonly rules: readonly AccessRuleConfig[] }): RuleSet {
  const rules = config.rules.map(compileRule);
  const named = new Map<string, CompiledRule[]>();
  const general: CompiledRule[] = [];
  config.rules.forEach((rule, index) => {
    const compiled = rules[index] as CompiledRule;
    const exact = rule.domain.length > 0 && rule.domainRegex.length === 0 && rule.domain.every(isExact);
    if (!exact) general.push(compiled);
    else
      for (const domain of new Set(rule.domain)) {
        const list = named.get(domain);
        if (list) list.push(compiled);
        else named.set(domain, [compiled]);
      }
  });
  // A domain whose first rule has no other criterion, with no general rule before it, is decided
  // at compile time (RuleIndex.settled); the others keep their rules for the merge in decide().
  const firstGeneral = general[0]?.index ?? Number.POSITIVE_INFINITY;
  const settled = new Map<string, number>();
  const byDomain = new Map<string, CompiledRule[]>();
  for (const [domain, list] of named) {
    const first = list[0] as CompiledRule;
    if (first.afterDomain.length === 0 && first.index < firstGeneral) settled.set(domain, packDecision(first));
    else byDomain.set(domain, list);
  }
  const index: RuleIndex = { settled, byDomain, general };
  const defaultPolicy = config.defaultPolicy;
  return {
    defaultPolicy,
    rules,
    decide: (subject, target) => decide(index, defaultPolicy, subject, target),
    explain: (subject, target) => explain(rules, defaultPolicy, subject, target),
  };
}

function isExact(domain: string): boolean {
  return !domain.startsWith('*.') && !domain.startsWith('{user}.') && !domain.startsWith('{group}.');
}

function compileRule(rule: AccessRuleConfig, index: number): CompiledRule {
  const dynamicDomain = rule.domain.some((d) => d.startsWith('{user}.') || d.startsWith('{group}.'));
  const captures = [...rule.domainRegex, ...rule.resources].some((r) => r.captures.user || r.captures.group);
  const criteria = compileCriteria(rule);
  return {
    index,
    source: rule.source,
    policy: rule.policy,
    hasSubject: rule.subject.length > 0 || dynamicDomain || captures,
    criteria,
    afterDomain: criteria.filter((c) => c.name !== 'domain'),
  };
}
