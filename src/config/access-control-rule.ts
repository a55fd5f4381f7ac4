import { readDomains, readMethods, readNetworks, readQuery, readRegexList, readSubjects, type RuleReadOptions } from './access-control-criteria.js';
import type { Policy } from '../rules/policy.js';
import { type AccessRuleConfig, type RegexConfig, policies } from './access-control-rule-config.js';
import { describe, keyPath } from './problems.js';
import { type ReadContext, readMapping } from './reader.js';

const ruleKeys = ['domain', 'domain_regex', 'policy', 'subject', 'networks', 'resources', 'methods', 'query'];

/** Reads one rule at `path` (reported as `source`); `undefined` when it has an error. */
export function readAccessRule(ctx: ReadContext, path: string, value: unknown, options: RuleReadOptions): AccessRuleConfig | undefined {
  const raw = readMapping(ctx, path, value, ruleKeys);
  if (!raw) return undefined;
  const before = ctx.problems.errors.length;
  const policy = readPolicy(ctx, keyPath(path, 'policy'), raw.policy);
  const domain = readDomains(ctx, keyPath(path, 'domain'), raw.domain);
  const domainRegex = readRegexList(ctx, keyPath(path, 'domain_regex'), raw.domain_regex);
  if (raw.domain === undefined && raw.domain_regex === undefined) {
    ctx.problems.error(path, "must set 'domain' or 'domain_regex' but sets neither");
  }
  const resources = readRegexList(ctx, keyPath(path, 'resources'), raw.resources);
  const subject = readSubjects(ctx, keyPath(path, 'subject'), raw.subject, options);
  if (policy === 'bypass') {
    if (subject.length > 0) {
      ctx.problems.error(keyPath(path, 'subject'), "must not be set when policy is 'bypass' but is set");
    }
    checkNoCaptures(ctx, keyPath(path, 'domain_regex'), domainRegex);
    checkNoCaptures(ctx, keyPath(path, 'resources'), resources);
  }
  const rule: AccessRuleConfig = {
    source: path,
    policy: policy ?? 'deny',
    domain,
    domainRegex,
    resources,
    methods: readMethods(ctx, keyPath(path, 'methods'), raw.methods),
    networks: readNetworks(ctx, keyPath(path, 'networks'), raw.networks, options.networks),
    subject,
    query: readQuery(ctx, keyPath(path, 'query'), raw.query),
  };
  return ctx.problems.errors.length === before ? rule : undefined;
}

function readPolicy(ctx: ReadContext, path: string, value: unknown): Policy | undefined {
  if (typeof value === 'string' && (policies as readonly string[]).includes(value)) return value as Policy;
  const found = value === undefined || value === null ? 'absent' : describe(value);
  ctx.problems.error(path, `must be one of ${policies.map((p) => `'${p}'`).join(', ')} but is ${found}`);
  return undefined;
}

function checkNoCaptures(ctx: ReadContext, path: string, regexes: readonly RegexConfig[]): void {
  regexes.forEach((regex, index) => {
    if (regex.captures.user || regex.captures.group) {
      ctx.problems.error(`${path}[${index}]`, `must not capture the named groups 'User' or 'Group' when policy is 'bypass' but is '${regex.pattern}'`);
    }
  });
}
