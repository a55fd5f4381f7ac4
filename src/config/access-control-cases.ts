import ipaddr from 'ipaddr.js';
import type { AuthLevel, Outcome, Policy } from '../rules/policy.js';
import { everyMember } from '../shared/every-member.js';
import { policies } from './access-control-rule-config.js';
import { describe, keyPath } from './problems.js';
import { type ReadContext, readChoice, readList, readMapping, readString } from './reader.js';

/** The outcomes a case may expect (rules/policy.ts declares the type). */
export const outcomes = everyMember<Outcome>()(['allow', 'login', 'forbidden']);

/**
 * The authentication levels by name, as a case's `level` and `gatehouse rules explain --level`
 * write them: Authelia's policy names for what each level satisfies.
 */
export const authLevels = { none: 0, one_factor: 1, two_factor: 2 } as const satisfies Record<string, AuthLevel>;
export const authLevelNames = everyMember<keyof typeof authLevels>()(['none', 'one_factor', 'two_factor']);

/**
 * One expectation case of a policy file. `expect` is either the policy the rules must decide
 * or the outcome of the request for a subject authenticated at `level` (default: `two_factor`
 * for a named user, `one_factor` for an OAuth2 client alone, `none` for an anonymous request).
 */
export interface PolicyCase {
  /** `rules/apps.yml:tests[3]`. */
  readonly source: string;
  readonly name: string | undefined;
  readonly url: string;
  readonly method: string;
  readonly user: string;
  readonly groups: readonly string[];
  readonly ip: string | undefined;
  readonly client: string;
  readonly level: AuthLevel;
  readonly expect: Policy | Outcome;
}

const caseKeys = ['name', 'url', 'method', 'user', 'groups', 'ip', 'client', 'level', 'expect'];
const expectations = [...policies, ...outcomes] as const;

/** Reads a policy file's `tests:` list. */
export function readPolicyCases(ctx: ReadContext, path: string, value: unknown): PolicyCase[] {
  return readList(ctx, path, value, (entry, at) => readCase(ctx, at, entry));
}

function readCase(ctx: ReadContext, path: string, value: unknown): PolicyCase | undefined {
  const raw = readMapping(ctx, path, value, caseKeys);
  if (!raw) return undefined;
  const before = ctx.problems.errors.length;
  const url = readString(ctx, keyPath(path, 'url'), raw.url, { required: true });
  if (url !== undefined && !/^[a-z][a-z0-9+.-]*:\/\/[^/?#]+/i.test(url)) {
    ctx.problems.error(keyPath(path, 'url'), `must be an absolute URL such as 'https://app.example.com/path' but is '${url}'`);
  }
  const method = readString(ctx, keyPath(path, 'method'), raw.method) ?? 'GET';
  if (!/^[A-Za-z]+$/.test(method)) ctx.problems.error(keyPath(path, 'method'), `must be an HTTP method such as 'GET' but is '${method}'`);
  const user = readString(ctx, keyPath(path, 'user'), raw.user) ?? '';
  const client = readString(ctx, keyPath(path, 'client'), raw.client) ?? '';
  const groups = readGroups(ctx, keyPath(path, 'groups'), raw.groups);
  if (groups.length > 0 && user === '') ctx.problems.error(keyPath(path, 'groups'), "must be empty when 'user' is not set but is set");
  const ip = readString(ctx, keyPath(path, 'ip'), raw.ip);
  if (ip !== undefined && !ipaddr.isValid(ip)) ctx.problems.error(keyPath(path, 'ip'), `must be an IP address but is '${ip}'`);
  const fallbackLevel = user !== '' ? 'two_factor' : client !== '' ? 'one_factor' : 'none';
  const levelName = readChoice(ctx, keyPath(path, 'level'), raw.level, authLevelNames, fallbackLevel);
  const level: AuthLevel = authLevels[levelName];
  if (level > 0 && user === '' && client === '') {
    ctx.problems.error(keyPath(path, 'level'), `must be 'none' when neither 'user' nor 'client' is set but is '${levelName}'`);
  } else if (level === 0 && (user !== '' || client !== '')) {
    ctx.problems.error(keyPath(path, 'level'), "must be 'one_factor' or 'two_factor' when 'user' or 'client' is set but is 'none'");
  }
  if (raw.expect === undefined) ctx.problems.error(keyPath(path, 'expect'), `must be one of ${expectations.map((e) => `'${e}'`).join(', ')} but is absent`);
  const expect = readChoice(ctx, keyPath(path, 'expect'), raw.expect, expectations, 'deny');
  const name = readString(ctx, keyPath(path, 'name'), raw.name);
  if (ctx.problems.errors.length !== before || url === undefined) return undefined;
  return { source: path, name, url, method: method.toUpperCase(), user, groups, ip, client, level, expect };
}

function readGroups(ctx: ReadContext, path: string, value: unknown): string[] {
  const list =
    typeof value === 'string'
      ? value
          .split(',')
          .map((g) => g.trim())
          .filter((g) => g !== '')
      : value;
  return readList(ctx, path, list, (entry, at) => {
    if (typeof entry === 'string' && entry !== '') return entry;
    ctx.problems.error(at, `must be a group name but is ${describe(entry)}`);
    return undefined;
  });
}
