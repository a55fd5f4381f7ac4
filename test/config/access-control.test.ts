import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/shared/errors.js';

const base = {
  session: { secret: 'x'.repeat(30), cookies: [{ domain: 'example.com', portal_url: 'https://auth.example.com' }] },
  storage: { encryption_key: 'k'.repeat(24) },
};

function load(extra: Record<string, unknown>, baseDir = '/nonexistent') {
  return parseConfig({ ...base, ...extra }, { env: {}, baseDir });
}

function problems(extra: Record<string, unknown>, baseDir?: string): readonly string[] {
  try {
    load(extra, baseDir);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

const rule = (fields: Record<string, unknown>) => ({ access_control: { rules: [{ domain: 'a.example.com', policy: 'one_factor', ...fields }] } });
const at = 'access_control.rules[0]';

describe('access_control validation', () => {
  it.each<[string, Record<string, unknown>, string]>([
    ['bad policy', rule({ policy: 'allow' }), `${at}.policy: must be one of 'bypass', 'one_factor', 'two_factor', 'deny' but is 'allow'`],
    ['missing policy', rule({ policy: undefined }), `${at}.policy: must be one of 'bypass', 'one_factor', 'two_factor', 'deny' but is absent`],
    // Found by test/fuzz/config-loader.test.ts: the message read "but is object [object Object]".
    ['policy of another type', rule({ policy: { allow: true } }), `${at}.policy: must be one of 'bypass', 'one_factor', 'two_factor', 'deny' but is a mapping`],
    ['missing domain', rule({ domain: undefined }), `${at}: must set 'domain' or 'domain_regex' but sets neither`],
    ['bypass with subject', rule({ policy: 'bypass', subject: 'user:john' }), `${at}.subject: must not be set when policy is 'bypass' but is set`],
    [
      'bypass with a User group',
      rule({ policy: 'bypass', domain: undefined, domain_regex: '^(?P<User>\\w+)\\.example\\.com$' }),
      `${at}.domain_regex[0]: must not capture the named groups 'User' or 'Group' when policy is 'bypass' but is '^(?P<User>\\w+)\\.example\\.com$'`,
    ],
    [
      'bypass with a Group group in resources',
      rule({ policy: 'bypass', resources: ['^/x', '^/(?<Group>\\w+)/'] }),
      `${at}.resources[1]: must not capture the named groups 'User' or 'Group' when policy is 'bypass' but is '^/(?<Group>\\w+)/'`,
    ],
    ['bad regex', rule({ resources: ['^/('] }), `${at}.resources[0]: must be a valid regular expression but is '^/(' (Unterminated group)`],
    [
      'bad domain regex',
      rule({ domain_regex: ['[a-'] }),
      `${at}.domain_regex[0]: must be a valid regular expression but is '[a-' (Unterminated character class)`,
    ],
    [
      'unknown network name',
      rule({ networks: ['intranet'] }),
      `${at}.networks[0]: must be a CIDR, an IP address or a network name from definitions.network but is 'intranet'`,
    ],
    ['bad CIDR', rule({ networks: ['10.0.0.0/33'] }), `${at}.networks[0]: must be an IP address or a CIDR such as '10.0.0.0/8' but is '10.0.0.0/33'`],
    ['bad IPv6', rule({ networks: ['fe80::1::2'] }), `${at}.networks[0]: must be an IP address or a CIDR such as '10.0.0.0/8' but is 'fe80::1::2'`],
    [
      'bad method',
      rule({ methods: ['GET', 'FETCH'] }),
      `${at}.methods[1]: must be one of 'GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH', 'PROPFIND', 'PROPPATCH', 'MKCOL', 'COPY', 'MOVE', 'LOCK', 'UNLOCK' but is 'FETCH'`,
    ],
    ['duplicate method', rule({ methods: ['GET', 'get'] }), `${at}.methods[1]: must not repeat 'GET' but is 'get'`],
    [
      'bad query operator',
      rule({ query: [[{ key: 'a', operator: 'contains', value: 'x' }]] }),
      `${at}.query[0][0].operator: must be one of 'equal', 'not equal', 'present', 'absent', 'pattern', 'not pattern' but is 'contains'`,
    ],
    ['query without key', rule({ query: [[{ value: 'x' }]] }), `${at}.query[0][0].key: must be a non-empty string but is absent`],
    [
      'query value on present',
      rule({ query: [[{ key: 'a', operator: 'present', value: 'x' }]] }),
      `${at}.query[0][0].value: must not be set when operator is 'present' but is 'x'`,
    ],
    [
      'query without value',
      rule({ query: [[{ key: 'a', operator: 'equal' }]] }),
      `${at}.query[0][0].value: must be set when operator is 'equal' but is absent`,
    ],
    [
      'bad query pattern',
      rule({ query: [{ key: 'a', operator: 'pattern', value: '(' }] }),
      `${at}.query[0][0].value: must be a valid regular expression but is '(' (Unterminated group)`,
    ],
    ['subject prefix', rule({ subject: ['john'] }), `${at}.subject[0]: must start with 'user:', 'group:' or 'oauth2:client:' but is 'john'`],
    [
      'inner subject prefix',
      rule({ subject: [['user:john', 'role:x']] }),
      `${at}.subject[0][1]: must start with 'user:', 'group:' or 'oauth2:client:' but is 'role:x'`,
    ],
    ['empty subject name', rule({ subject: 'group:' }), `${at}.subject[0]: must name a group after 'group:' but is 'group:'`],
    ['unknown rule key', rule({ domains: ['x'] }), `${at}.domains: is not a known key, did you mean 'domain'?`],
    [
      'no rules with deny',
      { access_control: { default_policy: 'deny' } },
      "access_control.default_policy: must be 'one_factor' or 'two_factor' when no rules are written but is 'deny'",
    ],
    [
      'bad default policy',
      { access_control: { default_policy: 'allow', rules: [{ domain: 'a.example.com', policy: 'bypass' }] } },
      "access_control.default_policy: must be one of 'bypass', 'one_factor', 'two_factor', 'deny' but is 'allow'",
    ],
    [
      'bad definitions CIDR',
      { definitions: { network: { lan: ['10.0.0.0/40'] } } },
      "definitions.network.lan[0]: must be an IP address or a CIDR such as '10.0.0.0/8' but is '10.0.0.0/40'",
    ],
    [
      'network in both places',
      {
        definitions: { network: { lan: ['10.0.0.0/8'] } },
        access_control: { default_policy: 'one_factor', networks: [{ name: 'lan', networks: ['10.0.0.0/8'] }] },
      },
      "access_control.networks[0].name: must not repeat a network name already defined but is 'lan'",
    ],
    [
      'rules file missing',
      { access_control: { rules_files: ['rules/*.yml'] } },
      "access_control.rules_files[0]: must match at least one file but 'rules/*.yml' matches none",
    ],
  ])('%s', (_name, extra, message) => {
    expect(problems(extra)).toContain(message);
  });

  it('suggests a close network name', () => {
    const extra = { definitions: { network: { internal: ['10.0.0.0/8'] } }, ...rule({ networks: ['internel'] }) };
    expect(problems(extra)).toEqual([
      `${at}.networks[0]: must be a CIDR, an IP address or a network name from definitions.network but is 'internel', did you mean 'internal'?`,
    ]);
  });

  it('reports every problem at once', () => {
    const extra = { access_control: { rules: [{ policy: 'allow' }, { domain: 'b.example.com', policy: 'deny', methods: ['FETCH'] }] } };
    expect(problems(extra)).toHaveLength(3);
  });

  it('defaults to deny, expands names (legacy form too) and translates Go regexes', () => {
    const { config } = load({
      definitions: { network: { lan: ['192.168.0.0/16'] } },
      access_control: {
        networks: [{ name: 'vpn', networks: ['10.8.0.0/24', 'fd00::1'] }],
        rules: [
          { domain: ['A.Example.com'], domain_regex: '(?i)^(?P<User>\\w+)\\.x$', networks: ['lan', 'vpn', '1.1.1.1'], methods: 'get', policy: 'two_factor' },
        ],
      },
    });
    expect(config.accessControl.defaultPolicy).toBe('deny');
    expect(config.accessControl.rules[0]).toMatchObject({
      domain: ['a.example.com'],
      domainRegex: [{ source: '^(?<User>\\w+)\\.x$', flags: 'i', captures: { user: true, group: false } }],
      networks: ['192.168.0.0/16', '10.8.0.0/24', 'fd00::1/128', '1.1.1.1/32'],
      methods: ['GET'],
    });
    expect(config.definitions.network).toEqual({ lan: ['192.168.0.0/16'], vpn: ['10.8.0.0/24', 'fd00::1/128'] });
  });

  it('needs no access_control section (everything is denied)', () => {
    expect(load({}).config.accessControl).toEqual({ defaultPolicy: 'deny', rules: [], rulesFiles: [] });
  });

  it('warns when the default policy applies to everything', () => {
    expect(load({ access_control: { default_policy: 'two_factor' } }).warnings).toContain(
      'access_control.default_policy: applies to every request because no rules are written',
    );
  });

  it('reads domains in the form request hosts are compared in (punycode, lower case, no trailing dot)', () => {
    const domain = ['Bücher.Example.com.', '*.bücher.example.com', '{USER}.Bücher.example.com', '{group}.app.example.com.', 'APP.example.com.', '[::1]'];
    expect(load(rule({ domain })).config.accessControl.rules[0]!.domain).toEqual([
      'xn--bcher-kva.example.com',
      '*.xn--bcher-kva.example.com',
      '{user}.xn--bcher-kva.example.com',
      '{group}.app.example.com',
      'app.example.com',
      '::1',
    ]);
  });

  it('refuses a domain that no request host can have, naming why', () => {
    const domain = [
      'a..example.com',
      '*.',
      '*.example.com..',
      '{user}.app..example.com',
      'app.{user}.example.com',
      'app.example.com:443',
      'https://app.example.com',
      'bü cher.example.com',
    ];
    const must = "must be a host name such as 'app.example.com', '*.example.com' or '{user}.example.com' but is";
    const emptyLabel = 'has an empty label (two dots in a row, or a leading or second trailing dot)';
    expect(problems(rule({ domain }))).toEqual([
      `${at}.domain[0]: ${must} 'a..example.com', which ${emptyLabel}`,
      `${at}.domain[1]: ${must} '*.', whose host name after '*.' is empty`,
      `${at}.domain[2]: ${must} '*.example.com..', whose host name after '*.' ${emptyLabel}`,
      `${at}.domain[3]: ${must} '{user}.app..example.com', whose host name after '{user}.' ${emptyLabel}`,
      `${at}.domain[4]: ${must} 'app.{user}.example.com', which contains '{', which no host name has`,
      `${at}.domain[5]: ${must} 'app.example.com:443', which must not contain a port or a colon`,
      `${at}.domain[6]: ${must} 'https://app.example.com', which must not contain a port or a colon`,
      `${at}.domain[7]: ${must} 'bü cher.example.com', which is not a valid internationalised domain name`,
    ]);
  });

  it('warns about a domain pattern that is not a wildcard', () => {
    expect(load(rule({ domain: '*example.com' })).warnings).toContain(
      `${at}.domain[0]: should start with '*.' to match subdomains (a '*' elsewhere is matched literally) but is '*example.com'`,
    );
  });
});

describe('unreachable rules', () => {
  const warnings = (rules: unknown[]) => load({ access_control: { rules } }).warnings.filter((w) => w.includes('never match'));
  const r = (i: number) => `access_control.rules[${i}]`;

  it.each<[string, unknown[], string[]]>([
    [
      'same domain, no other criteria',
      [
        { domain: 'a.example.com', policy: 'bypass' },
        { domain: 'a.example.com', policy: 'deny', resources: ['^/x'] },
      ],
      [`${r(1)}: can never match because ${r(0)} always matches first`],
    ],
    [
      'wildcard covers a name',
      [
        { domain: '*.example.com', policy: 'one_factor' },
        { domain: ['b.example.com', 'c.d.example.com'], policy: 'deny' },
      ],
      [`${r(1)}: can never match because ${r(0)} always matches first`],
    ],
    [
      'wildcard covers {user}',
      [
        { domain: '*.example.com', policy: 'one_factor' },
        { domain: '{user}.example.com', policy: 'deny' },
      ],
      [`${r(1)}: can never match because ${r(0)} always matches first`],
    ],
    [
      'method subset',
      [
        { domain: 'a.example.com', methods: ['GET', 'HEAD'], policy: 'bypass' },
        { domain: 'a.example.com', methods: ['GET'], policy: 'deny' },
      ],
      [`${r(1)}: can never match because ${r(0)} always matches first`],
    ],
    [
      'identical subject',
      [
        { domain: 'a.example.com', subject: 'group:x', policy: 'deny' },
        { domain: 'a.example.com', subject: 'group:x', networks: ['10.0.0.0/8'], policy: 'one_factor' },
      ],
      [`${r(1)}: can never match because ${r(0)} always matches first`],
    ],
    [
      'bare suffix is not covered',
      [
        { domain: '*.example.com', policy: 'one_factor' },
        { domain: 'example.com', policy: 'deny' },
      ],
      [],
    ],
    [
      'narrower earlier rule',
      [
        { domain: 'a.example.com', resources: ['^/x'], policy: 'bypass' },
        { domain: 'a.example.com', policy: 'deny' },
      ],
      [],
    ],
    [
      'method not a subset',
      [
        { domain: 'a.example.com', methods: ['GET'], policy: 'bypass' },
        { domain: 'a.example.com', policy: 'deny' },
      ],
      [],
    ],
    [
      'different regex',
      [
        { domain_regex: '^a\\.', policy: 'bypass' },
        { domain_regex: '^a\\.b', policy: 'deny' },
      ],
      [],
    ],
    [
      'one domain of two covered',
      [
        { domain: 'a.example.com', policy: 'bypass' },
        { domain: ['a.example.com', 'b.example.com'], policy: 'deny' },
      ],
      [],
    ],
  ])('%s', (_name, rules, expected) => {
    expect(warnings(rules)).toEqual(expected);
  });
});

describe('rules_files', () => {
  const folder = mkdtempSync(join(tmpdir(), 'gatehouse-rules-'));
  writeFileSync(join(folder, 'b.yml'), 'rules:\n  - {domain: b.example.com, policy: two_factor}\n');
  writeFileSync(
    join(folder, 'a.yml'),
    'rules:\n  - {domain: a.example.com, policy: one_factor}\ntests:\n  - {url: "https://a.example.com/", expect: one_factor}\n',
  );
  writeFileSync(join(folder, 'bad.yaml'), 'rules:\n  - {domain: c.example.com, policy: allow}\ntests:\n  - {url: nope, expect: maybe}\nextra: 1\n');
  writeFileSync(join(folder, 'broken.yaml'), 'rules: [\n');

  it('appends the files’ rules after inline rules, files sorted by name', () => {
    const { config } = load({ access_control: { rules: [{ domain: 'i.example.com', policy: 'bypass' }], rules_files: ['*.yml'] } }, folder);
    expect(config.accessControl.rules.map((r) => `${r.source} ${r.domain[0]}`)).toEqual([
      'access_control.rules[0] i.example.com',
      'a.yml:rules[0] a.example.com',
      'b.yml:rules[0] b.example.com',
    ]);
    expect(config.accessControl.rulesFiles).toEqual([join(folder, 'a.yml'), join(folder, 'b.yml')]);
  });

  it('reports problems in a file with the file name', () => {
    expect(problems({ access_control: { rules_files: ['bad.yaml', 'broken.yaml'] } }, folder)).toEqual([
      'bad.yaml:extra: is not a known key',
      "bad.yaml:rules[0].policy: must be one of 'bypass', 'one_factor', 'two_factor', 'deny' but is 'allow'",
      "bad.yaml:tests[0].url: must be an absolute URL such as 'https://app.example.com/path' but is 'nope'",
      "bad.yaml:tests[0].expect: must be one of 'bypass', 'one_factor', 'two_factor', 'deny', 'allow', 'login', 'forbidden' but is 'maybe'",
      'broken.yaml:2:1: YAML syntax error: unexpected end of the stream within a flow collection',
    ]);
  });

  it('refuses wildcards in folder names', () => {
    expect(problems({ access_control: { rules_files: ['*/x.yml'] } }, folder)).toEqual([
      "access_control.rules_files[0]: may use '*' and '?' only in the file name but is '*/x.yml'",
    ]);
  });
});
