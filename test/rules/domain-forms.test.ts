import { describe, expect, it } from 'vitest';
import { Anonymous, Bob, John, policyFor, ruleSet } from './fixtures.js';

/**
 * Rule domains are read in the form request hosts are compared in (punycode, lower case, no
 * trailing dot), so a domain written in Unicode or with a trailing dot matches its requests
 * (browsers send the punycode host: `bücher.example.com` arrives as `xn--bcher-kva.example.com`).
 * Decisions go through the real validator, `compileRules` and `decide` (and `explain`).
 */
describe('rule domains written in Unicode or with a trailing dot', () => {
  const rules = ruleSet('deny', [
    { domain: 'Bücher.example.com', policy: 'bypass' },
    { domain: '*.bücher.example.com', policy: 'one_factor' },
    { domain: '{user}.straße.example.com', policy: 'two_factor' },
    { domain: 'app.example.com.', policy: 'one_factor' },
    { domain: ['*.apps.example.com.'], policy: 'two_factor' },
  ]);

  it.each([
    ['https://xn--bcher-kva.example.com/', 'John', 'bypass'],
    ['https://XN--BCHER-KVA.Example.com./', 'Anonymous', 'bypass'],
    ['https://shop.xn--bcher-kva.example.com/', 'John', 'one_factor'],
    ['https://a.b.xn--bcher-kva.example.com/', 'John', 'one_factor'],
    ['https://john.xn--strae-oqa.example.com/', 'John', 'two_factor'],
    ['https://john.xn--strae-oqa.example.com/', 'Bob', 'deny'],
    ['https://app.example.com/', 'Bob', 'one_factor'],
    ['https://app.example.com./', 'Bob', 'one_factor'],
    ['https://x.apps.example.com/', 'Bob', 'two_factor'],
    ['https://apps.example.com/', 'Bob', 'deny'],
    ['https://bcher.example.com/', 'Bob', 'deny'],
  ] as const)('%s as %s → %s', (url, who, expected) => {
    const subject = { John, Bob, Anonymous }[who];
    expect(policyFor(rules, subject, url)).toBe(expected);
  });

  it('refuses a domain no request host can have, with its dotted path', () => {
    expect(() =>
      ruleSet('deny', [
        { domain: 'app.example.com', policy: 'bypass' },
        { domain: ['ok.example.com', 'app..example.com'], policy: 'bypass' },
      ]),
    ).toThrow(
      "access_control.rules[1].domain[1]: must be a host name such as 'app.example.com', '*.example.com' or '{user}.example.com' but is 'app..example.com', which has an empty label (two dots in a row, or a leading or second trailing dot)",
    );
  });
});

describe('resources are case-sensitive unless (?i) is written', () => {
  const rules = ruleSet('deny', [
    { domain: 'safe.example.com', resources: ['(?i)^/admin'], policy: 'two_factor' },
    { domain: 'naive.example.com', resources: ['^/admin'], policy: 'two_factor' },
    // The pattern docs/access-control.md recommends.
    { domain: 'doc.example.com', resources: ['(?i)^/admin([/?].*)?$'], policy: 'two_factor' },
    { domain: ['safe.example.com', 'naive.example.com', 'doc.example.com'], policy: 'bypass' },
  ]);

  it.each([
    ['https://safe.example.com/admin/x', 'two_factor'],
    ['https://safe.example.com/ADMIN/x', 'two_factor'],
    ['https://safe.example.com/Admin', 'two_factor'],
    ['https://safe.example.com/%41DMIN/x', 'two_factor'],
    ['https://safe.example.com/public', 'bypass'],
    ['https://doc.example.com/Admin', 'two_factor'],
    ['https://doc.example.com/ADMIN/users', 'two_factor'],
    ['https://doc.example.com/admin?x=1', 'two_factor'],
    ['https://doc.example.com/administrator', 'bypass'],
    ['https://naive.example.com/admin/x', 'two_factor'],
    // What the docs warn about: a case-insensitive upstream serves its admin page here.
    ['https://naive.example.com/ADMIN/x', 'bypass'],
  ] as const)('%s → %s', (url, expected) => {
    expect(policyFor(rules, John, url)).toBe(expected);
  });
});
