import type { RegexConfig } from './access-control-rule-config.js';

/**
 * Turns a rule's regular expression, written for Authelia (Go RE2) or JavaScript, into a
 * JavaScript one: `(?P<name>…)` becomes `(?<name>…)`, and leading flags `(?i)`, `(?s)`,
 * `(?m)` (or combined, `(?is)`) become RegExp flags. Anything else is JavaScript syntax.
 * @returns the compiled form, or the syntax error's reason.
 */
export function compileRegex(pattern: string): { regex: RegexConfig } | { error: string } {
  let source = pattern;
  let flags = '';
  const leading = /^\(\?([ism]+)\)/.exec(source);
  if (leading) {
    flags = [...new Set(leading[1])].sort().join('');
    source = source.slice(leading[0].length);
  }
  source = source.replace(/\(\?P</g, '(?<');
  try {
    new RegExp(source, flags);
  } catch (error) {
    return { error: String((error as Error).message).replace(/^Invalid regular expression: \/.*\/[a-z]*: /s, '') };
  }
  return {
    regex: {
      pattern,
      source,
      flags,
      captures: { user: source.includes('(?<User>'), group: source.includes('(?<Group>') },
    },
  };
}
