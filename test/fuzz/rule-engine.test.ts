/**
 * Fuzzer: the rule engine's decision (`compileRules(…).decide`: the domain index, its settled
 * fast path and the merge with general rules) equals a naive first-match evaluation written here
 * from the documented semantics (docs/access-control.md) over the validated rules, sharing none
 * of src/rules/: no compiled criteria, no MatchContext, no index. Complements
 * test/rules/index-agrees.property.test.ts (index against the engine's own linear `explain`) with
 * every criterion — domains exact, wildcard, `{user}`, `{group}` and regex with `User`/`Group`
 * captures, resources, query, methods, networks, subjects — many rules per set and many requests
 * per compiled set, subjects anonymous, users, OAuth2 clients, odd and absent addresses.
 */
import { BlockList, isIPv4, isIPv6 } from 'node:net';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AccessRuleConfig, QueryCondition, RegexConfig } from '../../src/config/access-control.js';
import { compileRules, isRefusal, parseTarget, type Policy, type Subject, type Target } from '../../src/rules/index.js';
import { readRules } from '../rules/fixtures.js';
import { fuzzParameters, fuzzTimeout } from './runs.js';

interface NaiveDecision {
  readonly policy: Policy;
  readonly ruleIndex: number;
  readonly ruleHasSubject: boolean;
}

function isAnonymousSubject(s: Subject): boolean {
  return s.username === '' && s.groups.length === 0 && s.clientId === '';
}

/** A regex entry: matches; with `User`/`Group` groups, a named subject must be the captured user / in the captured group (any case). */
function regexMatches(r: RegexConfig, input: string, s: Subject): boolean {
  const m = new RegExp(r.source, r.flags).exec(input);
  if (m === null) return false;
  if (!r.captures.user && !r.captures.group) return true;
  if (isAnonymousSubject(s)) return true;
  if (r.captures.user && (s.username === '' || (m.groups?.User ?? '').toLowerCase() !== s.username.toLowerCase())) return false;
  if (r.captures.group && !s.groups.some((g) => g.toLowerCase() === (m.groups?.Group ?? '').toLowerCase())) return false;
  return true;
}

function domainEntryMatches(entry: string, domain: string, s: Subject): boolean {
  const anonymous = isAnonymousSubject(s);
  if (entry.startsWith('*.')) return domain.endsWith(entry.slice(1));
  if (entry.startsWith('{user}.')) {
    const rest = entry.slice('{user}.'.length);
    return anonymous ? domain.endsWith(`.${rest}`) : domain === `${s.username.toLowerCase()}.${rest}`;
  }
  if (entry.startsWith('{group}.')) {
    const rest = entry.slice('{group}.'.length);
    return anonymous ? domain.endsWith(`.${rest}`) : s.groups.some((g) => domain === `${g.toLowerCase()}.${rest}`);
  }
  return domain === entry;
}

function conditionHolds(c: QueryCondition, params: URLSearchParams): boolean {
  const value = params.get(c.key) ?? '';
  switch (c.operator) {
    case 'equal':
      return value === c.value;
    case 'not equal':
      return value !== c.value;
    case 'present':
      return params.has(c.key);
    case 'absent':
      return !params.has(c.key);
    case 'pattern':
      return new RegExp(c.pattern!.source, c.pattern!.flags).test(value);
    case 'not pattern':
      return !new RegExp(c.pattern!.source, c.pattern!.flags).test(value);
  }
}

/** Whether `ip` is in a CIDR, by Node's own BlockList (IPv4-mapped IPv6 counts as IPv4). */
function inNetwork(cidr: string, ip: string | undefined): boolean {
  if (ip === undefined) return false;
  const family = isIPv4(ip) ? 'ipv4' : isIPv6(ip) ? 'ipv6' : undefined;
  if (family === undefined) return false;
  const [net = '', bits = ''] = cidr.split('/');
  const list = new BlockList();
  list.addSubnet(net, Number(bits), isIPv4(net) ? 'ipv4' : 'ipv6');
  return list.check(ip, family);
}

function ruleMatches(rule: AccessRuleConfig, s: Subject, t: Target): boolean {
  const anonymous = isAnonymousSubject(s);
  if (rule.domain.length + rule.domainRegex.length > 0) {
    const any = rule.domain.some((e) => domainEntryMatches(e, t.domain, s)) || rule.domainRegex.some((r) => regexMatches(r, t.domain, s));
    if (!any) return false;
  }
  if (rule.resources.length > 0 && !rule.resources.some((r) => regexMatches(r, t.resource, s))) return false;
  const params = new URLSearchParams(t.query);
  if (rule.query.length > 0 && !rule.query.some((all) => all.every((c) => conditionHolds(c, params)))) return false;
  if (rule.methods.length > 0 && !rule.methods.includes(t.method)) return false;
  if (rule.networks.length > 0 && !rule.networks.some((n) => inNetwork(n, s.ip))) return false;
  if (rule.subject.length > 0 && !anonymous) {
    const holds = rule.subject.some((all) =>
      all.every((c) => (c.kind === 'user' ? s.username === c.name : c.kind === 'group' ? s.groups.includes(c.name) : s.clientId === c.name)),
    );
    if (!holds) return false;
  }
  return true;
}

function hasSubject(rule: AccessRuleConfig): boolean {
  return (
    rule.subject.length > 0 ||
    rule.domain.some((d) => d.startsWith('{user}.') || d.startsWith('{group}.')) ||
    [...rule.domainRegex, ...rule.resources].some((r) => r.captures.user || r.captures.group)
  );
}

/** The first rule whose every criterion matches, else the default policy. */
function naiveDecide(rules: readonly AccessRuleConfig[], defaultPolicy: Policy, s: Subject, t: Target): NaiveDecision {
  const index = rules.findIndex((rule) => ruleMatches(rule, s, t));
  const rule = rules[index];
  return rule ? { policy: rule.policy, ruleIndex: index, ruleHasSubject: hasSubject(rule) } : { policy: defaultPolicy, ruleIndex: -1, ruleHasSubject: false };
}

function sameDecision(a: NaiveDecision, b: NaiveDecision): boolean {
  return a.policy === b.policy && a.ruleIndex === b.ruleIndex && a.ruleHasSubject === b.ruleHasSubject;
}

const hosts = [
  'a.example.com',
  'b.example.com',
  'c.example.com',
  'john.example.com',
  'dev.example.com',
  'admins.example.com',
  'x.a.example.com',
  'example.com',
  'other.org',
  'bob.example.com',
];
const domainEntry = fc.oneof(
  { arbitrary: fc.constantFrom(...hosts), weight: 5 },
  {
    arbitrary: fc.constantFrom(
      'A.Example.COM.',
      '*.example.com',
      '*.a.example.com',
      '*.org',
      '{user}.example.com',
      '{group}.example.com',
      '{User}.A.example.com',
    ),
    weight: 3,
  },
);
const domainRegex = fc.constantFrom(
  '^a\\.',
  '\\.example\\.com$',
  '^(?P<User>\\w+)\\.example\\.com$',
  '^(?P<Group>\\w+)\\.example\\.com$',
  '(?i)^B\\.EXAMPLE',
  '^[^.]+\\.org$',
  '^(?<User>[a-z]*)\\.?example\\.com$',
);
const resource = fc.constantFrom(
  '^/admin',
  '^/admin$',
  '(?i)^/admin',
  '^/public',
  '\\?x=1$',
  'debug=true',
  '^/(?P<User>\\w+)/',
  '^/$',
  '^/api',
  '^/(?<Group>[a-z]+)$',
  '(?i)^/(?<Group>[a-z]+)$',
  '(?i)^/(?P<User>[a-z]+)/',
);
const methods = fc.subarray(['GET', 'POST', 'PUT', 'HEAD', 'OPTIONS', 'DELETE'], { minLength: 1 });
const network = fc.constantFrom('10.0.0.0/8', '10.0.0.8', '192.168.0.0/16', 'fec0::/10', '127.0.0.1/32', '::1', 'fe80::/10', '10.0.0.9/32');
const subjectEntry = fc.constantFrom('user:john', 'user:bob', 'group:dev', 'group:admins', 'group:Dev', 'oauth2:client:a_client', 'user:John');
const query = fc.constantFrom<unknown[]>(
  [{ key: 'x', value: '1' }],
  [{ operator: 'present', key: 'debug' }],
  [{ operator: 'absent', key: 'x' }],
  [{ operator: 'pattern', key: 'x', value: '^[0-9]+$' }],
  [
    { operator: 'not equal', key: 'debug', value: 'true' },
    { operator: 'present', key: 'x' },
  ],
  [{ operator: 'not pattern', key: 'x', value: '(?i)^A' }],
);

/** A rule as written in YAML, valid by construction (a domain or regex; no subject or capture on bypass). */
const fullRule = fc
  .record(
    {
      domain: fc.array(domainEntry, { minLength: 1, maxLength: 3 }),
      domain_regex: fc.array(domainRegex, { minLength: 1, maxLength: 2 }),
      resources: fc.array(resource, { minLength: 1, maxLength: 2 }),
      methods,
      networks: fc.array(network, { minLength: 1, maxLength: 2 }),
      subject: fc.array(fc.oneof(subjectEntry, fc.array(subjectEntry, { minLength: 1, maxLength: 2 })), { minLength: 1, maxLength: 2 }),
      query: fc.array(query, { minLength: 1, maxLength: 2 }),
      policy: fc.constantFrom<Policy>('bypass', 'one_factor', 'two_factor', 'deny'),
    },
    { requiredKeys: ['policy'] },
  )
  .map((r) => {
    const rule: Record<string, unknown> = r.domain === undefined && r.domain_regex === undefined ? { ...r, domain: ['*.example.com'] } : { ...r };
    const captures = [...(r.domain_regex ?? []), ...(r.resources ?? [])].some((x) => /\?P?<(User|Group)>/.test(x));
    if (rule.policy === 'bypass' && (r.subject !== undefined || captures)) rule.policy = 'one_factor';
    return rule;
  });

/**
 * Rules of every shape, weighted so that the index's cases come up often: `{domain, policy}` with
 * exact names only (settled at compile time, unless a general rule comes first), with wildcards or
 * `{user}`/`{group}` (general rules), and rules with any criteria.
 */
const rawRule = fc.oneof(
  {
    arbitrary: fc.record({
      domain: fc.array(fc.constantFrom(...hosts), { minLength: 1, maxLength: 2 }),
      policy: fc.constantFrom('bypass', 'one_factor', 'two_factor', 'deny'),
    }),
    weight: 3,
  },
  {
    arbitrary: fc.record({ domain: fc.array(domainEntry, { minLength: 1, maxLength: 2 }), policy: fc.constantFrom('one_factor', 'two_factor', 'deny') }),
    weight: 2,
  },
  { arbitrary: fullRule, weight: 4 },
);

const subjects: readonly Subject[] = [
  { username: 'john', groups: ['dev', 'admins'], ip: '10.0.0.8', clientId: '' },
  { username: 'bob', groups: [], ip: '192.168.1.2', clientId: '' },
  { username: 'sam', groups: ['dev'], ip: 'fec0::1', clientId: '' },
  { username: 'dave', groups: ['Dev'], ip: '::ffff:10.0.0.9', clientId: '' },
  { username: 'John', groups: ['ADMINS'], ip: '::1', clientId: '' },
  { username: '', groups: [], ip: '127.0.0.1', clientId: '' },
  { username: '', groups: [], ip: undefined, clientId: '' },
  { username: '', groups: [], ip: '10.0.0.9', clientId: 'a_client' },
  { username: 'eve', groups: ['a'], ip: 'not an address', clientId: '' },
];
const request = fc.record({
  subject: fc.constantFrom(...subjects),
  host: fc.constantFrom(...hosts, 'B.Example.com', 'unlisted.example.net'),
  path: fc.constantFrom(
    '/',
    '/admin',
    '/admin/x',
    '/ADMIN',
    '/public',
    '/api?x=1',
    '/a?debug=true&x=2',
    '/a?x=',
    '/john/',
    '/JOHN/',
    '/dev',
    '/DEV',
    '/x?x=A1',
  ),
  method: fc.constantFrom('GET', 'POST', 'PUT', 'HEAD', 'OPTIONS', 'DELETE'),
});

describe('fuzz: the rule engine decides as a naive first-match evaluation', () => {
  it(
    'for random rule lists (every criterion) and many requests per compiled list',
    () => {
      let decidedByRule = 0;
      fc.assert(
        fc.property(
          fc.array(rawRule, { minLength: 0, maxLength: 15 }),
          fc.constantFrom<Policy>('deny', 'one_factor', 'two_factor', 'bypass'),
          fc.array(request, { minLength: 1, maxLength: 12 }),
          (raw, defaultPolicy, requests) => {
            const rules = readRules(raw);
            const set = compileRules({ defaultPolicy, rules });
            for (const { subject, host, path, method } of requests) {
              const target = parseTarget(`https://${host}${path}`, method);
              if (isRefusal(target)) throw new Error(`the generated URL https://${host}${path} was refused: ${target.refused}`);
              const expected = naiveDecide(rules, defaultPolicy, subject, target);
              const decided = set.decide(subject, target);
              const explained = set.explain(subject, target).decision;
              // expect() only on a difference: it costs more than the decisions themselves.
              if (!sameDecision(decided, expected) || !sameDecision(explained, expected)) {
                const shown = `${JSON.stringify(subject)} ${method} ${target.url}`;
                expect(decided, shown).toEqual(expected);
                expect(explained, shown).toEqual(expected);
              }
              if (expected.ruleIndex >= 0) decidedByRule++;
            }
          },
        ),
        fuzzParameters(3000),
      );
      expect(decidedByRule, 'no request was decided by a rule').toBeGreaterThan(0);
    },
    fuzzTimeout(),
  );
});
