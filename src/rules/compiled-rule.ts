import type { Criterion } from './criteria.js';
import type { Policy } from './policy.js';

/** A rule ready to be evaluated. */
export interface CompiledRule {
  /** Position in the rule list (inline rules first, then rules files in order). */
  readonly index: number;
  readonly source: string;
  readonly policy: Policy;
  /** Authelia's `HasSubjects`: a `subject`, a `{user}`/`{group}` domain or a `User`/`Group` capture. */
  readonly hasSubject: boolean;
  /** Non-empty criteria in evaluation order; the rule matches when all do. */
  readonly criteria: readonly Criterion[];
  /** `criteria` without `domain`: what is left to test once the domain index found the rule. */
  readonly afterDomain: readonly Criterion[];
}

/** Where to look for a domain: rules naming it exactly, merged in order with rules that may match any domain. */
export interface RuleIndex {
  /**
   * The decision for a domain whoever asks, when it is known at compile time: the first rule
   * naming the domain has no other criterion and no rule that may match any domain comes before
   * it. Most rules are `{domain, policy}`: their decision is one lookup, packed in a small
   * integer ({@link packDecision}) so that no object of the 10,000 rules' index is touched but
   * the map's own entry (issue 14, bench/rules.mjs).
   */
  readonly settled: ReadonlyMap<string, number>;
  /** The rules naming each other domain exactly, in order. */
  readonly byDomain: ReadonlyMap<string, readonly CompiledRule[]>;
  readonly general: readonly CompiledRule[];
}
