import { describe, expect, it } from 'vitest';
import { suites } from './decide-table.js';
import { policyFor, ruleSet } from './fixtures.js';

const who = (s: { username: string; clientId: string; ip: string | undefined }): string =>
  s.username || (s.clientId ? `client ${s.clientId}` : 'anonymous') + (s.ip ? `@${s.ip}` : '');

describe('decide (Authelia semantics)', () => {
  for (const suite of suites) {
    describe(suite.name, () => {
      const rules = ruleSet(suite.defaultPolicy, suite.rules, suite.networks);
      it.each(suite.cases.map((c) => ({ label: `${c[3] ?? 'GET'} ${c[1]} as ${who(c[0])} → ${c[2]}`, c })))('$label', ({ c }) => {
        const [subject, url, expected, method] = c;
        expect(policyFor(rules, subject, url, method)).toBe(expected);
      });
    });
  }

  it('has at least 180 decision cases', () => {
    expect(suites.reduce((n, s) => n + s.cases.length, 0)).toBeGreaterThanOrEqual(180);
  });
});
