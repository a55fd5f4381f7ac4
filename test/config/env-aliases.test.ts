import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { expandEnv } from '../../src/config/sources.js';
import { configOf, minimalRaw, problemsOf, tempDir } from '../helpers/config.js';

const withoutKey = (dir: string) => {
  const raw = minimalRaw(dir);
  const storage = raw.storage as Record<string, unknown>;
  return { ...raw, storage: { local: storage.local } };
};
const key = 'a-very-long-env-encryption-key';

describe('secrets from AUTHELIA_<PATH> and AUTHELIA_<PATH>_FILE (aliases of GATEHOUSE_…)', () => {
  it('reads AUTHELIA_<PATH>', () => {
    expect(configOf(withoutKey(tempDir()), { AUTHELIA_STORAGE_ENCRYPTION_KEY: key }).storage.encryptionKey).toBe(key);
  });

  it('reads AUTHELIA_<PATH>_FILE, trailing newlines removed, relative to the configuration folder', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'key'), `${key}\n\n`);
    const { config } = parseConfig(withoutKey(dir), { env: { AUTHELIA_STORAGE_ENCRYPTION_KEY_FILE: 'key' }, baseDir: dir });
    expect(config.storage.encryptionKey).toBe(key);
  });

  it('keeps a number-like secret a string', () => {
    const raw = minimalRaw(tempDir(), { session: { ...(minimalRaw('/tmp').session as object), secret: undefined } });
    expect(configOf(raw, { AUTHELIA_SESSION_SECRET: '123456789012345678901234567890123' }).session.secret).toBe('123456789012345678901234567890123');
  });

  it('refuses the GATEHOUSE_ and the AUTHELIA_ name both set, naming both', () => {
    expect(problemsOf(withoutKey(tempDir()), { GATEHOUSE_STORAGE_ENCRYPTION_KEY: key, AUTHELIA_STORAGE_ENCRYPTION_KEY: key })).toEqual([
      'storage.encryption_key: must be set by one environment variable only but is set by GATEHOUSE_STORAGE_ENCRYPTION_KEY and AUTHELIA_STORAGE_ENCRYPTION_KEY',
    ]);
    expect(problemsOf(withoutKey(tempDir()), { GATEHOUSE_STORAGE_ENCRYPTION_KEY_FILE: '/a', AUTHELIA_STORAGE_ENCRYPTION_KEY_FILE: '/b' })).toEqual([
      'storage.encryption_key: must be set in one place only but is set in GATEHOUSE_STORAGE_ENCRYPTION_KEY_FILE and AUTHELIA_STORAGE_ENCRYPTION_KEY_FILE',
    ]);
  });

  it('refuses a secret in the file and in AUTHELIA_<PATH>_FILE (Authelia refuses it too)', () => {
    expect(problemsOf(minimalRaw(tempDir()), { AUTHELIA_STORAGE_ENCRYPTION_KEY_FILE: '/a' })).toEqual([
      'storage.encryption_key: must be set in one place only but is set in the configuration file and AUTHELIA_STORAGE_ENCRYPTION_KEY_FILE',
    ]);
  });

  it('refuses a secret in the file and in AUTHELIA_<PATH> (stricter than Authelia, where the variable wins)', () => {
    expect(problemsOf(minimalRaw(tempDir()), { AUTHELIA_STORAGE_ENCRYPTION_KEY: key })).toEqual([
      'storage.encryption_key: must be set in one place only but is set in the configuration file and AUTHELIA_STORAGE_ENCRYPTION_KEY',
    ]);
  });
});

describe('plain keys from the environment, as Authelia reads them', () => {
  it('sets scalar keys of any depth, typed as YAML reads them, over the file (the environment wins)', () => {
    const config = configOf(minimalRaw(tempDir()), {
      AUTHELIA_LOG_LEVEL: 'debug',
      GATEHOUSE_LOG_FORMAT: 'text',
      AUTHELIA_TOTP_DIGITS: '8',
      AUTHELIA_REGULATION_MAX_RETRIES: '5',
      AUTHELIA_REGULATION_FIND_TIME: '5 minutes',
      AUTHELIA_WEBAUTHN_DISABLE: 'true',
    });
    expect(config.log).toMatchObject({ level: 'debug', format: 'text' });
    expect(config.totp.digits).toBe(8);
    expect(config.regulation).toMatchObject({ maxRetries: 5, findTime: 300_000 });
    expect(config.webauthn.disable).toBe(true);
  });

  it('creates the sections a variable configures (AUTHELIA_NOTIFIER_SMTP_ADDRESS with no notifier in the file)', () => {
    const config = configOf(minimalRaw(tempDir()), {
      AUTHELIA_NOTIFIER_SMTP_ADDRESS: 'submission://mail.example.com',
      AUTHELIA_NOTIFIER_SMTP_SENDER: 'Gatehouse <auth@example.com>',
      AUTHELIA_NOTIFIER_SMTP_DISABLE_HTML_EMAILS: 'true',
      AUTHELIA_NTP_DISABLE_STARTUP_CHECK: 'true',
    });
    expect(config.notifier).toMatchObject({
      kind: 'smtp',
      smtp: { address: { scheme: 'submission', host: 'mail.example.com', port: 587 }, disableHtmlEmails: true },
    });
    expect(config.ntp.disableStartupCheck).toBe(true);
  });

  it('reads a list as Authelia does: comma-separated', () => {
    const config = configOf(minimalRaw(tempDir()), { AUTHELIA_TOTP_ALLOWED_DIGITS: '6,8' });
    expect(config.totp.allowedDigits).toEqual([6, 8]);
  });

  it('names the variable in a bad value', () => {
    expect(problemsOf(minimalRaw(tempDir()), { AUTHELIA_LOG_LEVEL: 'loud' })).toEqual([
      "log.level: must be one of 'trace', 'debug', 'info', 'warn', 'error' but is 'loud'",
    ]);
  });

  it('refuses an AUTHELIA_ variable that sets nothing, and warns for a GATEHOUSE_ one', () => {
    expect(problemsOf(minimalRaw(tempDir()), { AUTHELIA_LOG_LEVLE: 'debug' })).toEqual(['AUTHELIA_LOG_LEVLE: names no configuration key that Gatehouse reads']);
    const { warnings } = parseConfig(minimalRaw(tempDir()), { env: { GATEHOUSE_LOG_LEVLE: 'debug', GATEHOUSE_CONFIG: 'x.yml' }, baseDir: '/tmp' });
    expect(warnings).toEqual(['GATEHOUSE_LOG_LEVLE: names no configuration key that Gatehouse reads']);
  });

  it('refuses a plain key set by both prefixes', () => {
    expect(problemsOf(minimalRaw(tempDir()), { AUTHELIA_LOG_LEVEL: 'debug', GATEHOUSE_LOG_LEVEL: 'info' })).toEqual([
      'log.level: must be set by one environment variable only but is set by GATEHOUSE_LOG_LEVEL and AUTHELIA_LOG_LEVEL',
    ]);
  });
});

describe("the 'expand-env' file filter", () => {
  it('expands $NAME and {NAME} in braces, unset as empty, $$ as $, and never a configuration secret', () => {
    const env = { HOST: 'auth.example.com', AUTHELIA_SESSION_SECRET: 'hidden', GATEHOUSE_STORAGE_ENCRYPTION_KEY: 'hidden' };
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the file text the filter expands
    expect(expandEnv('url: https://${HOST}/$HOST/$MISSING/$$/${AUTHELIA_SESSION_SECRET}$GATEHOUSE_STORAGE_ENCRYPTION_KEY/$ end', env)).toBe(
      'url: https://auth.example.com/auth.example.com//$//$ end',
    );
  });
});
