import type { ZxcvbnFactory } from '@zxcvbn-ts/core';
import type { PasswordPolicyConfig, StandardPasswordPolicyConfig } from '../../config/password-policy.js';

/**
 * Whether a new password meets `password_policy`. Each reason completes the sentence "The password …",
 * e.g. "must contain a number".
 */
export type PasswordPolicyResult = { readonly ok: true } | { readonly ok: false; readonly reasons: readonly string[] };

/** The kinds of character `standard` can require, in the order they are checked and described. */
const kinds = [
  { option: 'requireUppercase', pattern: /\p{Lu}|\p{Lt}/u, noun: 'an upper-case letter' },
  { option: 'requireLowercase', pattern: /\p{Ll}/u, noun: 'a lower-case letter' },
  { option: 'requireNumber', pattern: /\p{Nd}/u, noun: 'a number' },
  { option: 'requireSpecial', pattern: /[^\p{L}\p{M}\p{Nd}]/u, noun: 'a special character', hint: ' (neither a letter nor a number)' },
] as const satisfies readonly { option: keyof StandardPasswordPolicyConfig; pattern: RegExp; noun: string; hint?: string }[];

/**
 * Checks `password` against the enabled policy: `standard` counts length in Unicode code points and
 * takes letters and digits of any script; `zxcvbn` estimates strength from 0 to 4, loading zxcvbn and
 * its dictionaries on first use. `userInputs` (username, e-mail, display name) count as guessable
 * words for zxcvbn. Every unmet rule is reported, not only the first.
 */
export async function checkPasswordPolicy(policy: PasswordPolicyConfig, password: string, userInputs: readonly string[] = []): Promise<PasswordPolicyResult> {
  const reasons = policy.standard.enabled ? standardReasons(policy.standard, password) : [];
  if (policy.zxcvbn.enabled) {
    const reason = await zxcvbnReason(policy.zxcvbn.minScore, password, userInputs);
    if (reason !== undefined) reasons.push(reason);
  }
  return reasons.length === 0 ? { ok: true } : { ok: false, reasons };
}

/**
 * The active policy in a few words for a page, e.g. "at least 8 characters, with an upper-case letter
 * and a number"; `undefined` when no policy is enabled.
 */
export function describePasswordPolicy(policy: PasswordPolicyConfig): string | undefined {
  if (policy.zxcvbn.enabled) return `hard to guess (a strength of at least ${policy.zxcvbn.minScore} of 4)`;
  if (!policy.standard.enabled) return undefined;
  const { minLength, maxLength } = policy.standard;
  const length = maxLength > 0 ? `${minLength} to ${maxLength} characters` : `at least ${minLength} characters`;
  const required = kinds.filter((kind) => policy.standard[kind.option]).map((kind) => kind.noun);
  return required.length === 0 ? length : `${length}, with ${listOf(required)}`;
}

function standardReasons(standard: StandardPasswordPolicyConfig, password: string): string[] {
  const reasons: string[] = [];
  const length = [...password].length;
  if (length < standard.minLength) reasons.push(`must be at least ${standard.minLength} characters`);
  if (standard.maxLength > 0 && length > standard.maxLength) reasons.push(`must be at most ${standard.maxLength} characters`);
  for (const kind of kinds) {
    if (standard[kind.option] && !kind.pattern.test(password)) reasons.push(`must contain ${kind.noun}${'hint' in kind ? kind.hint : ''}`);
  }
  return reasons;
}

async function zxcvbnReason(minScore: number, password: string, userInputs: readonly string[]): Promise<string | undefined> {
  const result = (await estimator()).check(password, [...userInputs]);
  if (result.score >= minScore) return undefined;
  const advice = [result.feedback.warning, ...result.feedback.suggestions].filter((text): text is string => !!text);
  return [`is too easy to guess (strength ${result.score} of 4; at least ${minScore} is required).`, ...advice].join(' ');
}

let loading: Promise<ZxcvbnFactory> | undefined;

/** zxcvbn with the common and English dictionaries, imported once, when first needed (megabytes of memory). */
function estimator(): Promise<ZxcvbnFactory> {
  loading ??= load().catch((error: unknown) => {
    loading = undefined;
    throw error;
  });
  return loading;
}

async function load(): Promise<ZxcvbnFactory> {
  const [core, common, english] = await Promise.all([import('@zxcvbn-ts/core'), import('@zxcvbn-ts/language-common'), import('@zxcvbn-ts/language-en')]);
  return new core.ZxcvbnFactory({
    translations: english.translations,
    graphs: common.adjacencyGraphs,
    dictionary: { ...common.dictionary, ...english.dictionary },
  });
}

function listOf(items: readonly string[]): string {
  return items.length <= 1 ? items.join('') : `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`;
}
