import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { configOf, minimalRaw, problemsOf, tempDir } from '../helpers/config.js';

const base = minimalRaw('/tmp/gatehouse');
const withIv = (identity_validation: unknown) => ({ ...base, identity_validation });
const withTotp = (totp: unknown) => ({ ...base, totp });

describe('identity_validation.elevated_session', () => {
  it("has Authelia's defaults, but require_second_factor on", () => {
    expect(configOf(base).identityValidation.elevatedSession).toEqual({
      codeLifespan: 300_000,
      elevationLifespan: 600_000,
      characters: 8,
      requireSecondFactor: true,
      skipSecondFactor: false,
    });
  });

  it('reads every key, durations in words included, and the newer names expiration / elevation_expiration', () => {
    const set = configOf(
      withIv({
        elevated_session: { code_lifespan: '2 minutes', elevation_lifespan: '1h', characters: 12, require_second_factor: true, skip_second_factor: true },
      }),
    );
    expect(set.identityValidation.elevatedSession).toEqual({
      codeLifespan: 120_000,
      elevationLifespan: 3_600_000,
      characters: 12,
      requireSecondFactor: true,
      skipSecondFactor: true,
    });
    const renamed = configOf(withIv({ elevated_session: { expiration: '3m', elevation_expiration: '20 minutes' } }));
    expect(renamed.identityValidation.elevatedSession).toMatchObject({ codeLifespan: 180_000, elevationLifespan: 1_200_000 });
  });

  it.each<[string, unknown, string[]]>([
    ['characters above 20', { characters: 21 }, ['identity_validation.elevated_session.characters: must be at most 20 but is 21']],
    ['characters zero', { characters: 0 }, ['identity_validation.elevated_session.characters: must be at least 1 but is 0']],
    ['characters text', { characters: 'eight' }, ["identity_validation.elevated_session.characters: must be a whole number but is 'eight'"]],
    [
      'a lifespan that is no duration',
      { code_lifespan: 'soon' },
      [
        "identity_validation.elevated_session.code_lifespan: must be a duration such as '90s', '1h30m', '5 minutes', '2 days' or a number of seconds but is 'soon'",
      ],
    ],
    [
      'both names of one option',
      { elevation_lifespan: '5m', elevation_expiration: '5m' },
      [
        'identity_validation.elevated_session.elevation_expiration: must not be set together with identity_validation.elevated_session.elevation_lifespan (they are the same option)',
      ],
    ],
    ['a boolean that is not', { skip_second_factor: 'yes' }, ["identity_validation.elevated_session.skip_second_factor: must be true or false but is 'yes'"]],
    ['an unknown key', { code_length: 8 }, ['identity_validation.elevated_session.code_length: is not a known key']],
  ])('refuses %s', (_name, elevated_session, expected) => {
    expect(problemsOf(withIv({ elevated_session }))).toEqual(expect.arrayContaining(expected));
  });
});

describe('identity_validation.reset_password', () => {
  it('reads jwt_algorithm (any case) and jwt_secret without a warning', () => {
    const config = configOf(withIv({ reset_password: { jwt_algorithm: 'hs512', jwt_secret: 'a'.repeat(64) } }));
    expect(config.identityValidation.resetPassword).toEqual({ jwtLifespan: 300_000, jwtAlgorithm: 'HS512', jwtSecret: 'a'.repeat(64) });
  });

  it('takes jwt_secret from GATEHOUSE_IDENTITY_VALIDATION_RESET_PASSWORD_JWT_SECRET(_FILE)', () => {
    const env = configOf(base, { GATEHOUSE_IDENTITY_VALIDATION_RESET_PASSWORD_JWT_SECRET: 'from-the-environment' });
    expect(env.identityValidation.resetPassword.jwtSecret).toBe('from-the-environment');
    const dir = tempDir();
    writeFileSync(join(dir, 'jwt'), 'from-a-file\n');
    const file = configOf(base, { GATEHOUSE_IDENTITY_VALIDATION_RESET_PASSWORD_JWT_SECRET_FILE: join(dir, 'jwt') });
    expect(file.identityValidation.resetPassword.jwtSecret).toBe('from-a-file');
  });

  it.each<[string, unknown, Record<string, string>, string]>([
    [
      'an algorithm Authelia refuses',
      { jwt_algorithm: 'RS256' },
      {},
      "identity_validation.reset_password.jwt_algorithm: must be one of 'HS256', 'HS384', 'HS512' but is 'RS256'",
    ],
    ['a secret that is no string', { jwt_secret: 42 }, {}, 'identity_validation.reset_password.jwt_secret: must be a string but is number 42'],
    [
      'a secret set twice',
      { jwt_secret: 'x' },
      { GATEHOUSE_IDENTITY_VALIDATION_RESET_PASSWORD_JWT_SECRET: 'y' },
      'identity_validation.reset_password.jwt_secret: must be set in one place only but is set in the configuration file and GATEHOUSE_IDENTITY_VALIDATION_RESET_PASSWORD_JWT_SECRET',
    ],
  ])('refuses %s', (_name, reset_password, env, expected) => {
    expect(problemsOf(withIv({ reset_password }), env)).toContain(expected);
  });
});

describe('totp.allowed_*', () => {
  it("defaults to the configured algorithm, digits and period (Authelia's rule)", () => {
    expect(configOf(base).totp).toMatchObject({ allowedAlgorithms: ['SHA1'], allowedDigits: [6], allowedPeriods: [30] });
    const custom = configOf(withTotp({ algorithm: 'sha256', digits: 8, period: 60 })).totp;
    expect(custom).toMatchObject({ allowedAlgorithms: ['SHA256'], allowedDigits: [8], allowedPeriods: [60] });
  });

  it('always includes the configured value, first, and drops repeats', () => {
    const totp = configOf(withTotp({ allowed_algorithms: ['sha512', 'SHA256', 'SHA512'], allowed_digits: [8], allowed_periods: [60, 30, 60] })).totp;
    expect(totp.allowedAlgorithms).toEqual(['SHA1', 'SHA512', 'SHA256']);
    expect(totp.allowedDigits).toEqual([6, 8]);
    expect(totp.allowedPeriods).toEqual([30, 60]);
  });

  it.each<[string, unknown, string]>([
    ['an unknown algorithm', { allowed_algorithms: ['SHA1', 'MD5'] }, "totp.allowed_algorithms[1]: must be one of 'SHA1', 'SHA256', 'SHA512' but is 'MD5'"],
    ['7 digits', { allowed_digits: [7] }, 'totp.allowed_digits[0]: must be 6 or 8 but is 7'],
    ['a period under 15 seconds', { allowed_periods: [30, 10] }, 'totp.allowed_periods[1]: must be at least 15 but is 10'],
    ['a period that is no number', { allowed_periods: ['1m'] }, "totp.allowed_periods[0]: must be a whole number but is '1m'"],
    ['a scalar where a list is expected', { allowed_digits: 8 }, 'totp.allowed_digits: must be a list but is number 8'],
  ])('refuses %s', (_name, totp, expected) => {
    expect(problemsOf(withTotp(totp))).toContain(expected);
  });
});
