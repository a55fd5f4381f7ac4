import { describe, expect, it } from 'vitest';
import { outcomes } from '../../src/config/access-control-cases.js';
import { policies } from '../../src/config/access-control-rule-config.js';
import type { Outcome, Policy } from '../../src/rules/policy.js';
import { everyMember } from '../../src/shared/every-member.js';

type Colour = 'red' | 'green' | 'blue';

describe('everyMember', () => {
  it('returns the list unchanged when it names every member', () => {
    const list = everyMember<Colour>()(['red', 'green', 'blue']);
    expect(list).toEqual(['red', 'green', 'blue']);
  });

  it('refuses to compile a list that leaves a member out or names another (checked by tsc)', () => {
    // @ts-expect-error 'blue' is not listed
    const missing = everyMember<Colour>()(['red', 'green']);
    // @ts-expect-error 'yellow' is not a Colour
    const extra = everyMember<Colour>()(['red', 'green', 'blue', 'yellow']);
    expect([missing.length, extra.length]).toEqual([2, 4]);
  });

  it("keeps config/'s value lists equal to the rule engine's types", () => {
    const policyList: readonly Policy[] = policies;
    const outcomeList: readonly Outcome[] = outcomes;
    expect(policyList).toEqual(['bypass', 'one_factor', 'two_factor', 'deny']);
    expect(outcomeList).toEqual(['allow', 'login', 'forbidden']);
  });
});
