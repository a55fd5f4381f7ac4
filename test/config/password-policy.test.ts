import { describe, expect, it } from 'vitest';
import { configOf, minimalRaw, problemsOf } from '../helpers/config.js';

const base = minimalRaw('/tmp/gatehouse');
const withPolicy = (policy: unknown) => ({ ...base, password_policy: policy });

describe('password_policy: defaults', () => {
  it("applies Authelia's defaults when the section is absent: no policy, min_length 8, no maximum, min_score 3", () => {
    expect(configOf(base).passwordPolicy).toEqual({
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
    });
  });

  it('reads every key of standard', () => {
    const raw = withPolicy({
      standard: {
        enabled: true,
        min_length: 12,
        max_length: 64,
        require_uppercase: true,
        require_lowercase: true,
        require_number: true,
        require_special: true,
      },
    });
    expect(configOf(raw).passwordPolicy.standard).toEqual({
      enabled: true,
      minLength: 12,
      maxLength: 64,
      requireUppercase: true,
      requireLowercase: true,
      requireNumber: true,
      requireSpecial: true,
    });
  });

  it('reads zxcvbn, keeping the default score when only enabled is given', () => {
    expect(configOf(withPolicy({ zxcvbn: { enabled: true } })).passwordPolicy.zxcvbn).toEqual({ enabled: true, minScore: 3 });
    expect(configOf(withPolicy({ zxcvbn: { enabled: true, min_score: 4 } })).passwordPolicy.zxcvbn).toEqual({ enabled: true, minScore: 4 });
  });

  it('accepts max_length equal to min_length', () => {
    expect(configOf(withPolicy({ standard: { min_length: 10, max_length: 10 } })).passwordPolicy.standard.maxLength).toBe(10);
  });
});

describe('password_policy: refused values name their key', () => {
  it.each([
    [{ standard: { min_length: 0 } }, 'password_policy.standard.min_length: must be at least 1 but is 0'],
    [{ standard: { min_length: -3 } }, 'password_policy.standard.min_length: must be at least 1 but is -3'],
    [{ standard: { min_length: 'eight' } }, "password_policy.standard.min_length: must be a whole number but is 'eight'"],
    [{ standard: { max_length: -1 } }, 'password_policy.standard.max_length: must be at least 0 but is -1'],
    [
      { standard: { min_length: 12, max_length: 10 } },
      'password_policy.standard.max_length: must be 0 (no maximum) or at least password_policy.standard.min_length (12) but is 10',
    ],
    [
      { standard: { max_length: 4 } },
      'password_policy.standard.max_length: must be 0 (no maximum) or at least password_policy.standard.min_length (8) but is 4',
    ],
    [{ standard: { enabled: 'yes' } }, "password_policy.standard.enabled: must be true or false but is 'yes'"],
    [{ standard: { require_uppercase: 1 } }, 'password_policy.standard.require_uppercase: must be true or false but is number 1'],
    [{ standard: { require_lowercase: 'no' } }, "password_policy.standard.require_lowercase: must be true or false but is 'no'"],
    [{ standard: { require_number: [] } }, 'password_policy.standard.require_number: must be true or false but is a list'],
    [{ standard: { require_special: 'true' } }, "password_policy.standard.require_special: must be true or false but is 'true'"],
    [{ standard: { require_specal: true } }, "password_policy.standard.require_specal: is not a known key, did you mean 'require_special'?"],
    [{ zxcvbn: { enabled: 1 } }, 'password_policy.zxcvbn.enabled: must be true or false but is number 1'],
    [{ zxcvbn: { min_score: 0 } }, 'password_policy.zxcvbn.min_score: must be at least 1 but is 0'],
    [{ zxcvbn: { min_score: 5 } }, 'password_policy.zxcvbn.min_score: must be at most 4 but is 5'],
    [{ zxcvbn: { min_score: 2.5 } }, 'password_policy.zxcvbn.min_score: must be a whole number but is number 2.5'],
    [{ zxcvbn: 'on' }, "password_policy.zxcvbn: must be a mapping but is 'on'"],
    [{ standrd: {} }, "password_policy.standrd: is not a known key, did you mean 'standard'?"],
    ['strict', "password_policy: must be a mapping but is 'strict'"],
  ])('%j', (policy, problem) => {
    expect(problemsOf(withPolicy(policy))).toEqual([problem]);
  });

  it('refuses both mechanisms enabled at once', () => {
    expect(problemsOf(withPolicy({ standard: { enabled: true }, zxcvbn: { enabled: true } }))).toEqual([
      "password_policy: must enable at most one of 'standard' and 'zxcvbn' but enables both",
    ]);
  });

  it('allows both sections to be written when only one is enabled', () => {
    const config = configOf(withPolicy({ standard: { enabled: false, min_length: 10 }, zxcvbn: { enabled: true, min_score: 2 } }));
    expect(config.passwordPolicy.zxcvbn).toEqual({ enabled: true, minScore: 2 });
  });

  it('reports every problem at once', () => {
    expect(problemsOf(withPolicy({ standard: { enabled: true, min_length: 0 }, zxcvbn: { enabled: true, min_score: 9 } }))).toEqual([
      'password_policy.standard.min_length: must be at least 1 but is 0',
      'password_policy.zxcvbn.min_score: must be at most 4 but is 9',
      "password_policy: must enable at most one of 'standard' and 'zxcvbn' but enables both",
    ]);
  });
});
