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
  readonly byDomain: ReadonlyMap<string, readonly CompiledRule[]>;
  readonly general: readonly CompiledRule[];
}
