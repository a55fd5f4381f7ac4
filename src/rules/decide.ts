import type { Policy } from './policy.js';
import type { CompiledRule, RuleIndex } from './compiled-rule.js';
import type { Criterion } from './criteria.js';
import { MatchContext } from './match-context.js';
import type { Subject } from './subject.js';
import type { Target } from './target.js';

/**
 * Which policy applies and why. `ruleIndex` is the deciding rule's position, -1 for the
 * default policy; `ruleHasSubject` tells the caller that identity matters to this rule, so
 * an anonymous request hitting a `deny` there is sent to log in rather than refused.
 */
export interface Decision {
  readonly policy: Policy;
  readonly ruleIndex: number;
  readonly ruleHasSubject: boolean;
}

const none: readonly CompiledRule[] = [];

/** Whether every criterion in `criteria` matches. */
function allMatch(criteria: readonly Criterion[], ctx: MatchContext): boolean {
  for (const criterion of criteria) if (!criterion.test(ctx)) return false;
  return true;
}

const policyCodes: readonly Policy[] = ['bypass', 'one_factor', 'two_factor', 'deny'];

/** A rule's decision as one small integer: `index × 8 + policy × 2 + hasSubject` (index < 2²⁷). */
export function packDecision(rule: Pick<CompiledRule, 'index' | 'policy' | 'hasSubject'>): number {
  return rule.index * 8 + policyCodes.indexOf(rule.policy) * 2 + (rule.hasSubject ? 1 : 0);
}

/** The decision {@link packDecision} packed. */
export function unpackDecision(packed: number): Decision {
  return { policy: policyCodes[(packed >> 1) & 3] as Policy, ruleIndex: packed >> 3, ruleHasSubject: (packed & 1) === 1 };
}

/** First match over the rules naming the target's domain merged (by position) with the general rules. */
export function decide(index: RuleIndex, defaultPolicy: Policy, subject: Subject, target: Target): Decision {
  const settled = index.settled.get(target.domain);
  if (settled !== undefined) return unpackDecision(settled);
  const ctx = new MatchContext(subject, target);
  const named = index.byDomain.get(target.domain) ?? none;
  const general = index.general;
  let i = 0;
  let j = 0;
  while (i < named.length || j < general.length) {
    const a = named[i];
    const b = general[j];
    let rule: CompiledRule;
    let matches: boolean;
    if (a !== undefined && (b === undefined || a.index < b.index)) {
      rule = a;
      i++;
      matches = allMatch(rule.afterDomain, ctx); // the index already matched the domain exactly
    } else {
      rule = b as CompiledRule;
      j++;
      matches = allMatch(rule.criteria, ctx);
    }
    if (matches) return { policy: rule.policy, ruleIndex: rule.index, ruleHasSubject: rule.hasSubject };
  }
  return { policy: defaultPolicy, ruleIndex: -1, ruleHasSubject: false };
}
