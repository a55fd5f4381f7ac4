import ipaddr from 'ipaddr.js';
import type { AccessRuleConfig, QueryCondition, RegexConfig, SubjectCriterion } from '../config/access-control.js';
import { domainMatcher, regexMatcher } from './matchers.js';
import type { MatchContext } from './match-context.js';

/** The criteria of a rule, in the order Authelia evaluates them. */
export type CriterionName = 'domain' | 'resources' | 'query' | 'methods' | 'networks' | 'subject';

/** One compiled criterion: `test` says whether it matches; `shows` describe it for `explain`. */
export interface Criterion {
  readonly name: CriterionName;
  readonly test: (ctx: MatchContext) => boolean;
  /** The criterion's entries as written, e.g. `'*.example.com', '^/api'`. */
  readonly expected: string;
  /** What of the request it looked at, e.g. the domain. */
  readonly actual: (ctx: MatchContext) => string;
}

/** Compiles a rule's non-empty criteria; an empty criterion matches everything and is omitted. */
export function compileCriteria(rule: AccessRuleConfig): Criterion[] {
  const out: Criterion[] = [];
  if (rule.domain.length > 0 || rule.domainRegex.length > 0) {
    const tests = [...rule.domain.map(domainMatcher), ...rule.domainRegex.map((r) => regexMatcher(r, (c) => c.target.domain))];
    out.push({
      name: 'domain',
      test: (ctx) => tests.some((t) => t(ctx)),
      expected: list([...rule.domain, ...rule.domainRegex.map((r) => r.pattern)]),
      actual: (ctx) => `'${ctx.target.domain}'`,
    });
  }
  if (rule.resources.length > 0) {
    const tests = rule.resources.map((r) => regexMatcher(r, (c) => c.target.resource));
    out.push({
      name: 'resources',
      test: (ctx) => tests.some((t) => t(ctx)),
      expected: list(rule.resources.map((r) => r.pattern)),
      actual: (ctx) => `'${ctx.target.resource}'`,
    });
  }
  if (rule.query.length > 0) {
    const tests = rule.query.map((all) => all.map(queryMatcher));
    out.push({
      name: 'query',
      test: (ctx) => tests.some((all) => all.every((t) => t(ctx.target.params))),
      expected: rule.query.map((all) => all.map(showCondition).join(' and ')).join(' | '),
      actual: (ctx) => `'${ctx.target.query}'`,
    });
  }
  if (rule.methods.length > 0) {
    const methods = new Set(rule.methods);
    out.push({ name: 'methods', test: (ctx) => methods.has(ctx.target.method), expected: list(rule.methods), actual: (ctx) => `'${ctx.target.method}'` });
  }
  if (rule.networks.length > 0) {
    const ranges = rule.networks.map((cidr) => ipaddr.parseCIDR(cidr));
    out.push({
      name: 'networks',
      test: (ctx) => {
        const address = ctx.address();
        return address !== null && ranges.some(([net, bits]) => net.kind() === address.kind() && address.match(net, bits));
      },
      expected: list(rule.networks),
      actual: (ctx) => (ctx.subject.ip === undefined ? 'no address' : `'${ctx.subject.ip}'`),
    });
  }
  if (rule.subject.length > 0) {
    out.push({
      name: 'subject',
      test: (ctx) => ctx.anonymous || rule.subject.some((all) => all.every((s) => subjectMatches(s, ctx))),
      expected: rule.subject.map((all) => all.map(showSubject).join(' and ')).join(' | '),
      actual: (ctx) => showActualSubject(ctx),
    });
  }
  return out;
}

function list(entries: readonly string[]): string {
  return entries.map((e) => `'${e}'`).join(', ');
}

function queryMatcher(condition: QueryCondition): (params: URLSearchParams) => boolean {
  const { key } = condition;
  const regex: RegExp | undefined = condition.pattern && new RegExp(condition.pattern.source, condition.pattern.flags);
  switch (condition.operator) {
    case 'equal':
      return (p) => (p.get(key) ?? '') === condition.value;
    case 'not equal':
      return (p) => (p.get(key) ?? '') !== condition.value;
    case 'present':
      return (p) => p.has(key);
    case 'absent':
      return (p) => !p.has(key);
    case 'pattern':
      return (p) => regex?.test(p.get(key) ?? '') === true;
    case 'not pattern':
      return (p) => regex?.test(p.get(key) ?? '') === false;
  }
}

function showCondition(c: QueryCondition): string {
  const value = c.pattern ? ` '${(c.pattern as RegexConfig).pattern}'` : c.value !== undefined ? ` '${c.value}'` : '';
  return `${c.key} ${c.operator}${value}`;
}

function subjectMatches(criterion: SubjectCriterion, ctx: MatchContext): boolean {
  switch (criterion.kind) {
    case 'user':
      return ctx.subject.username === criterion.name;
    case 'group':
      return ctx.subject.groups.includes(criterion.name);
    case 'client':
      return ctx.subject.clientId === criterion.name;
  }
}

function showSubject(s: SubjectCriterion): string {
  return `${s.kind === 'client' ? 'oauth2:client' : s.kind}:${s.name}`;
}

function showActualSubject(ctx: MatchContext): string {
  if (ctx.anonymous) return 'anonymous';
  const { username, groups, clientId } = ctx.subject;
  const parts = [username && `user:${username}`, ...groups.map((g) => `group:${g}`), clientId && `oauth2:client:${clientId}`];
  return parts.filter((p) => p !== '').join(', ');
}
