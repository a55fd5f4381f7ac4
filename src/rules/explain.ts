import type { Policy } from './policy.js';
import type { CompiledRule } from './compiled-rule.js';
import type { CriterionName } from './criteria.js';
import type { Decision } from './decide.js';
import { MatchContext } from './match-context.js';
import type { Subject } from './subject.js';
import type { Target } from './target.js';

/** How one rule fared: matched, or the first criterion (in evaluation order) that did not. */
export interface RuleVerdict {
  readonly index: number;
  readonly source: string;
  readonly policy: Policy;
  readonly matched: boolean;
  readonly failed?: { readonly criterion: CriterionName; readonly expected: string; readonly actual: string };
}

export interface Explanation {
  /** Every rule, in order, evaluated in full (also those after the deciding one). */
  readonly rules: readonly RuleVerdict[];
  readonly decision: Decision;
}

/** Evaluates every rule without the domain index; its decision equals `decide`'s. */
export function explain(rules: readonly CompiledRule[], defaultPolicy: Policy, subject: Subject, target: Target): Explanation {
  const ctx = new MatchContext(subject, target);
  const verdicts = rules.map((rule): RuleVerdict => {
    const base = { index: rule.index, source: rule.source, policy: rule.policy };
    const failing = rule.criteria.find((c) => !c.test(ctx));
    if (!failing) return { ...base, matched: true };
    return { ...base, matched: false, failed: { criterion: failing.name, expected: failing.expected, actual: failing.actual(ctx) } };
  });
  const first = verdicts.find((v) => v.matched);
  const deciding = first === undefined ? undefined : rules[first.index];
  const decision: Decision = deciding
    ? { policy: deciding.policy, ruleIndex: deciding.index, ruleHasSubject: deciding.hasSubject }
    : { policy: defaultPolicy, ruleIndex: -1, ruleHasSubject: false };
  return { rules: verdicts, decision };
}
