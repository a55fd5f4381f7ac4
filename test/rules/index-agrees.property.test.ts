import fc from 'fast-check';
import { describe, it } from 'vitest';
import { Anonymous, Bob, John, policyFor, ruleSet } from './fixtures.js';

/**
 * The domain index (and its compile-time `settled` decisions, issue 14) against the linear scan
 * of `explain`: `policyFor` throws when they disagree. Random rule lists mix exact domains,
 * wildcards, resources, subjects and methods, in any order, so a wildcard or a conditional rule
 * may come before the exact rule that would otherwise settle a domain.
 */
describe('the domain index decides as the linear scan does', () => {
  const domain = fc.constantFrom('a.example.com', 'b.example.com', '*.example.com', 'c.example.com', ['a.example.com', 'b.example.com']);
  const rule = fc
    .record(
      {
        domain,
        policy: fc.constantFrom('bypass', 'one_factor', 'two_factor', 'deny'),
        resources: fc.constantFrom(['^/admin'], ['^/public']),
        subject: fc.constantFrom('group:admins', 'user:bob'),
        methods: fc.constantFrom(['POST'], ['GET', 'HEAD']),
      },
      { requiredKeys: ['domain', 'policy'] },
    )
    .map((r) => (r.policy === 'bypass' && r.subject !== undefined ? { ...r, policy: 'deny' } : r));
  const url = fc
    .tuple(fc.constantFrom('a', 'b', 'c', 'd'), fc.constantFrom('/', '/admin/x', '/public'))
    .map(([host, path]) => `https://${host}.example.com${path}`);

  it('for random rule lists, subjects, methods and URLs', () => {
    fc.assert(
      fc.property(
        fc.array(rule, { maxLength: 8 }),
        fc.constantFrom('deny', 'one_factor', 'bypass'),
        fc.constantFrom(John, Bob, Anonymous),
        url,
        fc.constantFrom('GET', 'POST'),
        (rules, fallback, subject, target, method) => {
          policyFor(ruleSet(fallback as 'deny', rules), subject, target, method);
        },
      ),
      { numRuns: 3000 },
    );
  });
});
