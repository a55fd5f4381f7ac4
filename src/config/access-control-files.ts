import { readFileSync, readdirSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import yaml from 'js-yaml';
import { type PolicyCase, readPolicyCases } from './access-control-cases.js';
import type { RuleReadOptions } from './access-control-criteria.js';
import { readAccessRule } from './access-control-rule.js';
import type { AccessRuleConfig } from './access-control-rule-config.js';
import { Problems, describe } from './problems.js';
import { type ReadContext, fsReason, readList, readMapping } from './reader.js';

/** A policy file (`rules/*.yml`): rules in the `access_control.rules` schema and their expectation cases. */
export interface PolicyFile {
  readonly file: string;
  readonly rules: readonly AccessRuleConfig[];
  readonly tests: readonly PolicyCase[];
}

/**
 * Resolves `rules_files` entries (relative to the configuration file's folder) to files, in
 * order, without repeats. `*` and `?` may appear in the file name part of an entry
 * (`rules/*.yml`); matches are sorted by name. An entry that matches nothing is an error.
 */
export function expandRulesFiles(ctx: ReadContext, path: string, value: unknown): string[] {
  const list = typeof value === 'string' ? [value] : value;
  const files: string[] = [];
  readList(ctx, path, list, (entry, at) => {
    if (typeof entry !== 'string' || entry.trim() === '') {
      ctx.problems.error(at, `must be a file path or a glob such as 'rules/*.yml' but is ${describe(entry)}`);
      return undefined;
    }
    const full = isAbsolute(entry) ? entry : resolve(ctx.baseDir, entry);
    if (/[*?]/.test(dirname(full))) {
      ctx.problems.error(at, `may use '*' and '?' only in the file name but is '${entry}'`);
      return undefined;
    }
    const found = /[*?]/.test(basename(full)) ? glob(full) : [full];
    if (found.length === 0) ctx.problems.error(at, `must match at least one file but '${entry}' matches none`);
    for (const file of found) if (!files.includes(file)) files.push(file);
    return undefined;
  });
  return files;
}

function glob(pattern: string): string[] {
  const folder = dirname(pattern);
  const escaped = basename(pattern).replace(/[.+^${}()|[\]\\]/g, '\\$&');
  const name = new RegExp(`^${escaped.replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
  try {
    return readdirSync(folder, { withFileTypes: true })
      .filter((entry) => entry.isFile() && name.test(entry.name) && !entry.name.startsWith('.'))
      .map((entry) => join(folder, entry.name))
      .sort();
  } catch {
    return [];
  }
}

/** How a policy file is named in messages: relative to the configuration folder when below it. */
export function policyFileLabel(ctx: ReadContext, file: string): string {
  const rel = relative(ctx.baseDir, file);
  return rel.startsWith('..') || isAbsolute(rel) ? file : rel.split(sep).join('/');
}

/**
 * Reads and validates a policy file. Messages are prefixed `FILE:` (`rules/apps.yml:rules[2].policy: …`).
 * @returns `undefined` when the file cannot be read or parsed (reported).
 */
export function readPolicyFile(ctx: ReadContext, file: string, options: RuleReadOptions): PolicyFile | undefined {
  const label = policyFileLabel(ctx, file);
  let raw: unknown;
  try {
    raw = yaml.load(readFileSync(file, 'utf8'), { filename: file, schema: yaml.CORE_SCHEMA });
  } catch (error) {
    if (error instanceof yaml.YAMLException) {
      const { line, column } = error.mark ?? { line: 0, column: 0 };
      ctx.problems.error(`${label}:${line + 1}:${column + 1}`, `YAML syntax error: ${error.reason}`);
    } else ctx.problems.error(label, `must be a readable file but ${fsReason(error)}`);
    return undefined;
  }
  const top = readTopLevel(ctx, label, raw);
  if (!top) return undefined;
  const rules = readList(ctx, `${label}:rules`, top.rules, (entry, at) => readAccessRule(ctx, at, entry, options));
  const tests = readPolicyCases(ctx, `${label}:tests`, top.tests);
  return { file, rules, tests };
}

/** The file's top-level mapping; problems are reported as `FILE:key: …`. */
function readTopLevel(ctx: ReadContext, label: string, raw: unknown): Record<string, unknown> | undefined {
  const local = new Problems();
  const top = readMapping({ ...ctx, problems: local }, '', raw, ['rules', 'tests']);
  for (const message of local.errors) {
    const keyed = /^(\w+): (.*)$/s.exec(message);
    if (keyed) ctx.problems.error(`${label}:${keyed[1]}`, keyed[2] ?? '');
    else ctx.problems.error(label, message);
  }
  return top;
}
