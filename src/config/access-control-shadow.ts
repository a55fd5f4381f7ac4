import type { AccessRuleConfig } from './access-control-rule-config.js';

/**
 * Finds rules that can never decide because an earlier rule matches every request they match.
 * Conservative: it reports only what it can prove from the rules' text (domain coverage by
 * equal names and `*.` suffixes, method and network subsets, identical regexes, queries and
 * subjects); a rule it cannot prove unreachable is never reported.
 */
export function findShadowedRules(rules: readonly AccessRuleConfig[]): { rule: AccessRuleConfig; by: AccessRuleConfig }[] {
  const found: { rule: AccessRuleConfig; by: AccessRuleConfig }[] = [];
  const general: { index: number; rule: AccessRuleConfig }[] = [];
  const byLiteral = new Map<string, { index: number; rule: AccessRuleConfig }[]>();
  rules.forEach((rule, index) => {
    const first = rule.domain.find(isLiteral);
    const candidates = [...general, ...(first !== undefined ? (byLiteral.get(first) ?? []) : [])];
    candidates.sort((a, b) => a.index - b.index);
    const by = candidates.find((earlier) => preempts(earlier.rule, rule));
    if (by) found.push({ rule, by: by.rule });
    const literalOnly = rule.domain.length > 0 && rule.domainRegex.length === 0 && rule.domain.every(isLiteral);
    if (!literalOnly) general.push({ index, rule });
    else for (const domain of new Set(rule.domain)) byLiteral.set(domain, [...(byLiteral.get(domain) ?? []), { index, rule }]);
  });
  return found;
}

function isLiteral(domain: string): boolean {
  return !domain.startsWith('*.') && !domain.startsWith('{user}.') && !domain.startsWith('{group}.');
}

/** Whether `earlier` matches every (subject, request) pair that `later` matches. */
function preempts(earlier: AccessRuleConfig, later: AccessRuleConfig): boolean {
  return (
    coversDomains(earlier, later) &&
    (earlier.resources.length === 0 ||
      same(
        earlier.resources.map((r) => r.pattern),
        later.resources.map((r) => r.pattern),
      )) &&
    (earlier.query.length === 0 || same(earlier.query, later.query)) &&
    (earlier.subject.length === 0 || same(earlier.subject, later.subject)) &&
    subset(later.methods, earlier.methods) &&
    subset(later.networks, earlier.networks)
  );
}

function coversDomains(earlier: AccessRuleConfig, later: AccessRuleConfig): boolean {
  if (earlier.domain.length === 0 && earlier.domainRegex.length === 0) return true;
  if (later.domain.length === 0 && later.domainRegex.length === 0) return false;
  const regexes = new Set(earlier.domainRegex.map((r) => r.pattern));
  return later.domainRegex.every((r) => regexes.has(r.pattern)) && later.domain.every((entry) => earlier.domain.some((cover) => coversDomain(cover, entry)));
}

/** Whether the domain entry `cover` matches every host that `entry` matches, for every subject. */
function coversDomain(cover: string, entry: string): boolean {
  if (cover === entry) return true;
  if (!cover.startsWith('*.')) return false;
  const suffix = cover.slice(1);
  const hosts = entry.replace(/^(\*|\{user\}|\{group\})\./, 'x.');
  return hosts.endsWith(suffix);
}

/** `inner` ⊆ `outer`, where an empty `outer` is "everything" and an empty `inner` is too. */
function subset(inner: readonly string[], outer: readonly string[]): boolean {
  if (outer.length === 0) return true;
  return inner.length > 0 && inner.every((entry) => outer.includes(entry));
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
