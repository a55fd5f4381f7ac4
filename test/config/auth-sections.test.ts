import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { configOf, minimalRaw, problemsOf, tempDir } from '../helpers/config.js';

const base = minimalRaw('/tmp/gatehouse');
const usersFile = join(import.meta.dirname, '../../examples/demo/users.yml');
const withBackend = (file: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  ...base,
  authentication_backend: { file: { path: usersFile, ...file }, ...extra },
});
const smtp = (settings: Record<string, unknown>) => ({
  ...base,
  notifier: { smtp: { address: 'submission://mail.example.com', sender: 'Gatehouse <auth@example.com>', ...settings } },
});

describe('authentication_backend, totp, regulation, notifier: defaults', () => {
  it('applies Authelia defaults', () => {
    const config = configOf(withBackend({}));
    expect(config.authenticationBackend).toEqual({
      file: {
        path: usersFile,
        watch: false,
        search: { email: false, caseInsensitive: false },
        password: expect.objectContaining({
          algorithm: 'argon2',
          argon2: { variant: 'argon2id', iterations: 3, memory: 65536, parallelism: 4, keyLength: 32, saltLength: 16 },
          pbkdf2: { variant: 'sha512', iterations: 310000, saltLength: 16 },
          sha2crypt: { variant: 'sha512', iterations: 50000, saltLength: 16 },
        }),
      },
      refreshInterval: 300_000,
      passwordReset: { disable: false, customUrl: undefined },
      passwordChange: { disable: false },
    });
    expect(config.totp).toEqual({
      disable: false,
      issuer: 'Gatehouse',
      algorithm: 'SHA1',
      digits: 6,
      period: 30,
      skew: 1,
      secretSize: 32,
      disableReuseSecurityPolicy: false,
      allowedAlgorithms: ['SHA1'],
      allowedDigits: [6],
      allowedPeriods: [30],
    });
    expect(config.regulation).toEqual({ modes: ['user'], maxRetries: 3, findTime: 120_000, banTime: 300_000 });
    expect(config.notifier).toBeUndefined();
    expect(configOf(base).authenticationBackend).toBeUndefined();
  });

  it('reads the sections as written, relative paths against the configuration folder', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'users.yml'), 'users: {}\n');
    const config = configOf(
      {
        ...minimalRaw(dir),
        authentication_backend: {
          file: { path: 'users.yml', watch: true, search: { email: true, case_insensitive: true }, password: { pbkdf2: { variant: 'sha256' } } },
        },
        totp: { issuer: 'Example', algorithm: 'sha256', digits: 8, period: 60, skew: 0, secret_size: 20 },
        regulation: { modes: ['ip', 'user'], max_retries: 0, find_time: '1m', ban_time: '1h' },
        notifier: { filesystem: { filename: 'data/notifications.txt' } },
      },
      {},
      dir,
    );
    expect(config.authenticationBackend?.file).toMatchObject({ path: join(dir, 'users.yml'), watch: true, search: { email: true, caseInsensitive: true } });
    expect(config.authenticationBackend?.file?.password.pbkdf2).toEqual({ variant: 'sha256', iterations: 700000, saltLength: 16 });
    expect(config.authenticationBackend?.refreshInterval).toBe('always');
    expect(config.totp).toMatchObject({ issuer: 'Example', algorithm: 'SHA256', digits: 8, period: 60, skew: 0, secretSize: 20 });
    expect(config.regulation).toEqual({ modes: ['ip', 'user'], maxRetries: 0, findTime: 60_000, banTime: 3_600_000 });
    expect(config.notifier).toEqual({ disableStartupCheck: false, kind: 'filesystem', filesystem: { filename: join(dir, 'data/notifications.txt') } });
  });

  it('reads notifier.smtp with its defaults and the password from the environment', () => {
    const config = configOf(smtp({ username: 'gatehouse' }), { GATEHOUSE_NOTIFIER_SMTP_PASSWORD: 'pw' });
    expect(config.notifier).toEqual({
      disableStartupCheck: false,
      kind: 'smtp',
      smtp: {
        address: { scheme: 'submission', host: 'mail.example.com', port: 587 },
        timeout: 5000,
        username: 'gatehouse',
        password: 'pw',
        identifier: 'localhost',
        sender: 'Gatehouse <auth@example.com>',
        subject: '[Gatehouse] {title}',
        startupCheckAddress: 'test@gatehouse.localhost',
        disableRequireTls: false,
        disableStarttls: false,
        disableHtmlEmails: false,
        tls: {
          skipVerify: false,
          serverName: 'mail.example.com',
          minimumVersion: 'TLSv1.2',
          maximumVersion: 'TLSv1.3',
          certificateChain: undefined,
          privateKey: undefined,
        },
      },
    });
    const explicit = configOf(smtp({ address: 'smtp://[::1]:2525', tls: { server_name: 'mx.example.com', skip_verify: true } }));
    expect(explicit.notifier).toMatchObject({
      smtp: { address: { scheme: 'smtp', host: '::1', port: 2525 }, tls: { serverName: 'mx.example.com', skipVerify: true } },
    });
  });

  it('reads password_change.disable (Authelia default false) without a warning', () => {
    const { config, warnings } = parseConfig(withBackend({}, { password_change: { disable: true } }), { env: {}, baseDir: '/tmp' });
    expect(config.authenticationBackend?.passwordChange).toEqual({ disable: true });
    expect(warnings.join('\n')).not.toContain('password_change');
    expect(configOf(withBackend({})).authenticationBackend?.passwordChange).toEqual({ disable: false });
    expect(() => configOf(withBackend({}, { password_change: { disable: 'yes' } }))).toThrow(/authentication_backend\.password_change\.disable/);
  });

  it('reads password_reset and identity_validation.reset_password with Authelia defaults', () => {
    const plain = configOf(withBackend({}));
    expect(plain.authenticationBackend?.passwordReset).toEqual({ disable: false, customUrl: undefined });
    expect(plain.identityValidation.resetPassword).toEqual({ jwtLifespan: 300_000, jwtAlgorithm: 'HS256', jwtSecret: undefined });
    const set = configOf({
      ...withBackend({}, { password_reset: { disable: true, custom_url: 'https://id.example.com/reset' } }),
      identity_validation: { reset_password: { jwt_lifespan: '15m' } },
    });
    expect(set.authenticationBackend?.passwordReset).toEqual({ disable: true, customUrl: 'https://id.example.com/reset' });
    expect(set.identityValidation.resetPassword.jwtLifespan).toBe(900_000);
    expect(configOf({ ...base, identity_validation: { reset_password: { expiration: '10m' } } }).identityValidation.resetPassword.jwtLifespan).toBe(600_000);
  });
});

describe('authentication_backend, totp, regulation, notifier: exact messages', () => {
  it.each<[string, unknown, string[]]>([
    ['backend without file', { ...base, authentication_backend: {} }, ['authentication_backend.file: must be set but is absent']],
    [
      'password_reset values',
      withBackend({}, { password_reset: { disable: 'yes', custom_url: 'ftp://x', extra: 1 } }),
      [
        'authentication_backend.password_reset.extra: is not a known key',
        "authentication_backend.password_reset.custom_url: must be an absolute http or https URL but is 'ftp://x'",
        "authentication_backend.password_reset.disable: must be true or false but is 'yes'",
      ],
    ],
    [
      'reset link lifespan',
      { ...base, identity_validation: { reset_password: { jwt_lifespan: 'soon' }, credential_management: {} } },
      [
        'identity_validation.credential_management: is an Authelia option that Gatehouse does not support',
        "identity_validation.reset_password.jwt_lifespan: must be a duration such as '90s', '1h30m', '5 minutes', '2 days' or a number of seconds but is 'soon'",
      ],
    ],
    [
      'reset link lifespan too short, and twice',
      { ...base, identity_validation: { reset_password: { jwt_lifespan: '30s', expiration: '5m' } } },
      [
        'identity_validation.reset_password.expiration: must not be set together with identity_validation.reset_password.jwt_lifespan (they are the same option)',
        "identity_validation.reset_password.jwt_lifespan: must be at least 60 seconds but is '30s'",
      ],
    ],
    [
      'file and ldap together',
      { ...base, authentication_backend: { ldap: {}, file: { path: usersFile } } },
      ["authentication_backend: must have one of 'file' and 'ldap' but has both"],
    ],
    ['users file path missing', withBackend({ path: undefined }), ['authentication_backend.file.path: must be set but is absent']],
    [
      'users file absent',
      withBackend({ path: '/nonexistent/users.yml' }),
      ["authentication_backend.file.path: must name an existing file but '/nonexistent/users.yml' does not exist"],
    ],
    ['unknown search key', withBackend({ search: { emails: true } }), ["authentication_backend.file.search.emails: is not a known key, did you mean 'email'?"]],
    ['watch not boolean', withBackend({ watch: 'yes' }), ["authentication_backend.file.watch: must be true or false but is 'yes'"]],
    [
      'unknown algorithm',
      withBackend({ password: { algorithm: 'md5' } }),
      ["authentication_backend.file.password.algorithm: must be one of 'argon2', 'scrypt', 'pbkdf2', 'sha2crypt', 'bcrypt' but is 'md5'"],
    ],
    [
      'argon2 memory too small for its parallelism',
      withBackend({ password: { argon2: { parallelism: 4, memory: 16 } } }),
      ['authentication_backend.file.password.argon2.memory: must be at least 32 but is 16'],
    ],
    [
      'yescrypt',
      withBackend({ password: { scrypt: { variant: 'yescrypt' } } }),
      ["authentication_backend.file.password.scrypt.variant: must be one of 'scrypt' but is 'yescrypt'"],
    ],
    [
      'pbkdf2 iterations too low',
      withBackend({ password: { pbkdf2: { iterations: 1000 } } }),
      ['authentication_backend.file.password.pbkdf2.iterations: must be at least 100000 but is 1000'],
    ],
    [
      'sha2crypt salt too long',
      withBackend({ password: { sha2crypt: { salt_length: 17 } } }),
      ['authentication_backend.file.password.sha2crypt.salt_length: must be at most 16 but is 17'],
    ],
    [
      'bcrypt cost too low',
      withBackend({ password: { bcrypt: { cost: 4 } } }),
      ['authentication_backend.file.password.bcrypt.cost: must be at least 10 but is 4'],
    ],
    [
      'bad refresh interval',
      withBackend({}, { refresh_interval: 'sometimes' }),
      ["authentication_backend.refresh_interval: must be a positive duration such as '1m' or '5m', 'always' or 'disable' but is 'sometimes'"],
    ],
    ['totp algorithm', { ...base, totp: { algorithm: 'MD5' } }, ["totp.algorithm: must be one of 'SHA1', 'SHA256', 'SHA512' but is 'MD5'"]],
    ['totp digits', { ...base, totp: { digits: 7 } }, ['totp.digits: must be 6 or 8 but is 7']],
    ['totp period', { ...base, totp: { period: 10 } }, ['totp.period: must be at least 15 but is 10']],
    ['totp secret size', { ...base, totp: { secret_size: 16 } }, ['totp.secret_size: must be at least 20 but is 16']],
    ['totp skew', { ...base, totp: { skew: -1 } }, ['totp.skew: must be at least 0 but is -1']],
    ['regulation mode', { ...base, regulation: { modes: ['user', 'host'] } }, ["regulation.modes[1]: must be one of 'user', 'ip' but is 'host'"]],
    ['regulation repeated mode', { ...base, regulation: { modes: ['ip', 'ip'] } }, ["regulation.modes[1]: must not repeat 'ip' but does"]],
    ['regulation max_retries', { ...base, regulation: { max_retries: -1 } }, ['regulation.max_retries: must be at least 0 but is -1']],
    [
      'find_time longer than ban_time',
      { ...base, regulation: { find_time: '10m', ban_time: '5m' } },
      ['regulation.find_time: must not be longer than regulation.ban_time (5m) but is 10m'],
    ],
    [
      'regulation duration',
      { ...base, regulation: { ban_time: 'long' } },
      ["regulation.ban_time: must be a duration such as '90s', '1h30m', '5 minutes', '2 days' or a number of seconds but is 'long'"],
    ],
    ['notifier with none', { ...base, notifier: {} }, ["notifier: must configure exactly one of 'filesystem', 'smtp' but configures none"]],
    [
      'notifier with both',
      { ...base, notifier: { filesystem: { filename: '/tmp/n.txt' }, smtp: { sender: 'a@b.c' } } },
      ["notifier: must configure exactly one of 'filesystem', 'smtp' but configures both"],
    ],
    ['filesystem without filename', { ...base, notifier: { filesystem: {} } }, ['notifier.filesystem.filename: must be set but is absent']],
    [
      'smtp address',
      smtp({ address: 'mail.example.com:25' }),
      ["notifier.smtp.address: must be 'smtp://HOST:PORT', 'submission://HOST:PORT' or 'submissions://HOST:PORT' but is 'mail.example.com:25'"],
    ],
    ['smtp sender missing', smtp({ sender: undefined }), ['notifier.smtp.sender: must be set but is absent']],
    [
      'smtp sender not an address',
      smtp({ sender: 'Gatehouse' }),
      ["notifier.smtp.sender: must be an email address such as 'Gatehouse <auth@example.com>' but is 'Gatehouse'"],
    ],
    ['smtp username without password', smtp({ username: 'u' }), ['notifier.smtp.password: must be set when notifier.smtp.username is set but is absent']],
    ['smtp password without username', smtp({ password: 'p' }), ['notifier.smtp.username: must be set when notifier.smtp.password is set but is absent']],
    [
      'smtp legacy host',
      smtp({ host: 'mail.example.com' }),
      ["notifier.smtp.host: is Authelia's former way to write 'notifier.smtp.address'; set only one of them"],
    ],
    [
      'starttls disabled while TLS required',
      smtp({ disable_starttls: true }),
      ["notifier.smtp.disable_starttls: must not be true while TLS is required (set disable_require_tls: true, or use 'submissions://') but is true"],
    ],
    ['smtp tls unknown key', smtp({ tls: { skip_verfy: true } }), ["notifier.smtp.tls.skip_verfy: is not a known key, did you mean 'skip_verify'?"]],
    ['smtp timeout', smtp({ timeout: 0 }), ['notifier.smtp.timeout: must be at least 1 seconds but is number 0']],
  ])('%s', (_name, raw, expected) => {
    expect(problemsOf(raw)).toEqual(expected);
  });
});
