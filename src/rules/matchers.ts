import type { RegexConfig } from '../config/access-control.js';
import type { MatchContext } from './match-context.js';

/** A test of one criterion entry. */
export type EntryTest = (ctx: MatchContext) => boolean;

/**
 * One `domain` entry (already lower-case). `*.x` matches any host ending in `.x` (not `x`
 * itself); `{user}.x` matches `USERNAME.x`, `{group}.x` matches `GROUP.x` for any of the
 * subject's groups (both ignoring case); for an anonymous subject these two match any host
 * ending in `.x`, so that it is sent to log in. Anything else is compared whole.
 */
export function domainMatcher(entry: string): EntryTest {
  if (entry.startsWith('*.')) {
    const suffix = entry.slice(1);
    return (ctx) => ctx.target.domain.endsWith(suffix);
  }
  if (entry.startsWith('{user}.')) {
    const suffix = entry.slice('{user}'.length);
    return (ctx) => (ctx.anonymous ? ctx.target.domain.endsWith(suffix) : ctx.target.domain === ctx.username + suffix);
  }
  if (entry.startsWith('{group}.')) {
    const rest = entry.slice('{group}.'.length);
    return (ctx) => {
      const domain = ctx.target.domain;
      if (ctx.anonymous) return domain.endsWith(`.${rest}`);
      const dot = domain.indexOf('.');
      return dot > 0 && domain.slice(dot + 1) === rest && ctx.inGroupFold(domain.slice(0, dot));
    };
  }
  return (ctx) => ctx.target.domain === entry;
}

/**
 * A regex entry over `input(ctx)`. With named groups `User` / `Group`, a named subject matches
 * only when the captured text is its user name / one of its groups (ignoring case) — an OAuth2
 * client, having neither, never does; an anonymous subject matches whenever the regex does.
 */
export function regexMatcher(config: RegexConfig, input: (ctx: MatchContext) => string): EntryTest {
  const regex = new RegExp(config.source, config.flags);
  const { user, group } = config.captures;
  if (!user && !group) return (ctx) => regex.test(input(ctx));
  return (ctx) => {
    const match = regex.exec(input(ctx));
    if (!match) return false;
    if (ctx.anonymous) return true;
    // An OAuth2 client (no user name) is no `User`, even for a regex that can capture nothing.
    if (user && (ctx.username === '' || (match.groups?.User ?? '').toLowerCase() !== ctx.username)) return false;
    if (group && !ctx.inGroupFold(match.groups?.Group ?? '')) return false;
    return true;
  };
}
