import { describe, expect, it } from 'vitest';
import { checkPasswordPolicy, describePasswordPolicy } from '../../../src/auth/password/policy.js';
import type { PasswordPolicyConfig, StandardPasswordPolicyConfig } from '../../../src/config/password-policy.js';

const off: PasswordPolicyConfig = {
  standard: {
    enabled: false,
    minLength: 8,
    maxLength: 0,
    requireUppercase: false,
    requireLowercase: false,
    requireNumber: false,
    requireSpecial: false,
  },
  zxcvbn: { enabled: false, minScore: 3 },
};
const standard = (options: Partial<StandardPasswordPolicyConfig>): PasswordPolicyConfig => ({
  ...off,
  standard: { ...off.standard, enabled: true, ...options },
});
const zxcvbn = (minScore: number): PasswordPolicyConfig => ({ ...off, zxcvbn: { enabled: true, minScore } });

describe('checkPasswordPolicy: no policy', () => {
  it('accepts any password, even an empty one', async () => {
    expect(await checkPasswordPolicy(off, '')).toEqual({ ok: true });
    expect(await checkPasswordPolicy(off, 'password')).toEqual({ ok: true });
  });
});

describe('checkPasswordPolicy: standard', () => {
  it.each([
    ['min_length', { minLength: 8 }, 'abcdefgh', 'abcdefg', 'must be at least 8 characters'],
    ['max_length', { maxLength: 10 }, 'abcdefghij', 'abcdefghijk', 'must be at most 10 characters'],
    ['require_uppercase', { requireUppercase: true }, 'abcdefgH', 'abcdefgh', 'must contain an upper-case letter'],
    ['require_lowercase', { requireLowercase: true }, 'ABCDEFGh', 'ABCDEFGH', 'must contain a lower-case letter'],
    ['require_number', { requireNumber: true }, 'abcdefg7', 'abcdefgh', 'must contain a number'],
    ['require_special', { requireSpecial: true }, 'abc defg', 'abcdefg7', 'must contain a special character (neither a letter nor a number)'],
  ])('%s: accepts %j, refuses with its reason', async (_rule, options, accepted, refused, reason) => {
    const policy = standard(options);
    expect(await checkPasswordPolicy(policy, accepted)).toEqual({ ok: true });
    expect(await checkPasswordPolicy(policy, refused)).toEqual({ ok: false, reasons: [reason] });
  });

  it('reports every unmet rule, in a fixed order', async () => {
    const policy = standard({ minLength: 12, requireUppercase: true, requireLowercase: true, requireNumber: true, requireSpecial: true });
    expect(await checkPasswordPolicy(policy, 'abc')).toEqual({
      ok: false,
      reasons: [
        'must be at least 12 characters',
        'must contain an upper-case letter',
        'must contain a number',
        'must contain a special character (neither a letter nor a number)',
      ],
    });
    expect(await checkPasswordPolicy(policy, 'Abcdefgh-123')).toEqual({ ok: true });
  });

  it('counts length in code points: an emoji is one character, not two UTF-16 units', async () => {
    const policy = standard({ minLength: 8, maxLength: 8 });
    const sevenAndEmoji = 'abcdefg😀';
    expect(sevenAndEmoji.length).toBe(9);
    expect(await checkPasswordPolicy(policy, sevenAndEmoji)).toEqual({ ok: true });
    expect(await checkPasswordPolicy(policy, 'abcdef😀')).toEqual({ ok: false, reasons: ['must be at least 8 characters'] });
    expect(await checkPasswordPolicy(policy, 'abcdefgh😀')).toEqual({ ok: false, reasons: ['must be at most 8 characters'] });
  });

  it('takes letters and digits of any script, and counts an emoji as special', async () => {
    const policy = standard({ minLength: 1, requireUppercase: true, requireLowercase: true, requireNumber: true });
    expect(await checkPasswordPolicy(policy, 'Ürün٣')).toEqual({ ok: true });
    const special = standard({ minLength: 1, requireSpecial: true });
    expect(await checkPasswordPolicy(special, 'kött😀')).toEqual({ ok: true });
    // A letter with a combining accent is still a letter.
    expect(await checkPasswordPolicy(special, 'cafe\u0301')).toEqual({
      ok: false,
      reasons: ['must contain a special character (neither a letter nor a number)'],
    });
  });
});

describe('checkPasswordPolicy: zxcvbn', () => {
  it('refuses a common password with its strength and zxcvbn advice', async () => {
    expect(await checkPasswordPolicy(zxcvbn(3), 'password')).toEqual({
      ok: false,
      reasons: ['is too easy to guess (strength 0 of 4; at least 3 is required). This is a heavily used password. Add more words that are less common.'],
    });
  });

  it('accepts a strong passphrase', async () => {
    expect(await checkPasswordPolicy(zxcvbn(4), 'correct horse battery staple')).toEqual({ ok: true });
  });

  it('compares the score with min_score', async () => {
    // zxcvbn rates 'blue7dog' 2 of 4.
    expect(await checkPasswordPolicy(zxcvbn(2), 'blue7dog')).toEqual({ ok: true });
    const refused = await checkPasswordPolicy(zxcvbn(3), 'blue7dog');
    expect(refused.ok).toBe(false);
    expect(!refused.ok && refused.reasons[0]).toMatch(/^is too easy to guess \(strength 2 of 4; at least 3 is required\)\./);
  });

  it("counts the user's own details as guessable", async () => {
    const result = await checkPasswordPolicy(zxcvbn(2), 'john1987', ['john']);
    expect(result).toEqual({
      ok: false,
      reasons: [
        'is too easy to guess (strength 1 of 4; at least 2 is required). There should not be any personal or page related data. Add more words that are less common.',
      ],
    });
  });

  it('is not consulted when only the standard policy is enabled', async () => {
    expect(await checkPasswordPolicy(standard({}), 'password')).toEqual({ ok: true });
  });
});

describe('describePasswordPolicy', () => {
  it.each([
    ['no policy', off, undefined],
    ['length only', standard({}), 'at least 8 characters'],
    ['a maximum', standard({ minLength: 10, maxLength: 64 }), '10 to 64 characters'],
    ['one kind', standard({ requireUppercase: true }), 'at least 8 characters, with an upper-case letter'],
    ['two kinds', standard({ requireUppercase: true, requireNumber: true }), 'at least 8 characters, with an upper-case letter and a number'],
    [
      'every kind',
      standard({ minLength: 12, requireUppercase: true, requireLowercase: true, requireNumber: true, requireSpecial: true }),
      'at least 12 characters, with an upper-case letter, a lower-case letter, a number and a special character',
    ],
    ['zxcvbn', zxcvbn(3), 'hard to guess (a strength of at least 3 of 4)'],
  ])('%s', (_name, policy, description) => {
    expect(describePasswordPolicy(policy)).toBe(description);
  });
});
