import { describe, expect, it } from 'vitest';
import type { Policy } from '../../src/rules/policy.js';
import { type AuthLevel, type Outcome, outcome } from '../../src/rules/index.js';

// Authelia's isAuthzResult (internal/handlers/handler_authz_util.go), every combination.
const table: [Policy, boolean, AuthLevel, boolean, Outcome][] = [
  // policy, ruleHasSubject, level, anonymous, outcome
  ['bypass', false, 0, true, 'allow'],
  ['bypass', true, 0, true, 'allow'],
  ['bypass', false, 2, false, 'allow'],
  ['one_factor', false, 0, true, 'login'],
  ['one_factor', true, 0, true, 'login'],
  ['one_factor', false, 1, false, 'allow'],
  ['one_factor', false, 2, false, 'allow'],
  ['two_factor', false, 0, true, 'login'],
  ['two_factor', false, 1, false, 'login'],
  ['two_factor', true, 1, false, 'login'],
  ['two_factor', false, 2, false, 'allow'],
  ['deny', false, 0, true, 'forbidden'],
  ['deny', true, 0, true, 'login'],
  ['deny', true, 1, false, 'forbidden'],
  ['deny', true, 2, false, 'forbidden'],
  ['deny', false, 2, false, 'forbidden'],
];

describe('outcome', () => {
  it.each(table)('%s (rule has subject: %s) at level %i, anonymous %s → %s', (policy, ruleHasSubject, level, anonymous, expected) => {
    expect(outcome({ policy, ruleHasSubject }, level, anonymous)).toBe(expected);
  });
});
