import type { PolicyCase } from '../config/access-control-cases.js';
import type { RuleSet } from './compile.js';
import type { Decision } from './decide.js';
import { outcome } from './outcome.js';
import type { Outcome, Policy } from './policy.js';
import { type Subject, isAnonymous } from './subject.js';
import { isRefusal, parseTarget } from './target.js';

/** The result of one policy-file case: what the rules decided and whether it is what was expected. */
export interface CaseResult {
  readonly case: PolicyCase;
  readonly passed: boolean;
  readonly policy: Policy;
  readonly outcome: Outcome;
  /** The deciding rule's source, `default_policy`, or `refused: …` for a refused request. */
  readonly decidedBy: string;
}

/**
 * Runs one case: builds the subject and target, decides, and compares with `expect` (a policy,
 * or the outcome for the case's authentication level). A refused request counts as `deny`
 * by the default (outcome `forbidden`).
 */
export function runCase(rules: RuleSet, testCase: PolicyCase): CaseResult {
  const subject: Subject = { username: testCase.user, groups: testCase.groups, ip: testCase.ip, clientId: testCase.client };
  const target = parseTarget(testCase.url, testCase.method);
  let decision: Decision;
  let decidedBy: string;
  if (isRefusal(target)) {
    decision = { policy: 'deny', ruleIndex: -1, ruleHasSubject: false };
    decidedBy = `refused: ${target.refused}`;
  } else {
    decision = rules.decide(subject, target);
    decidedBy = decision.ruleIndex < 0 ? 'default_policy' : (rules.rules[decision.ruleIndex]?.source ?? '?');
  }
  const result = outcome(decision, testCase.level, isAnonymous(subject));
  const expect = testCase.expect;
  const passed = expect === 'allow' || expect === 'login' || expect === 'forbidden' ? expect === result : expect === decision.policy;
  return { case: testCase, passed, policy: decision.policy, outcome: result, decidedBy };
}
