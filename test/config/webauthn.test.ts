import { describe, expect, it } from 'vitest';
import { Problems } from '../../src/config/problems.js';
import { readWebAuthn } from '../../src/config/webauthn.js';

function read(value: unknown) {
  const problems = new Problems();
  const config = readWebAuthn({ problems, env: {}, baseDir: '/' }, value);
  return { config, errors: problems.errors, warnings: problems.warnings };
}

describe('webauthn (Authelia keys and defaults)', () => {
  it('defaults: enabled, no passkey login, indirect attestation, 60 s, cross-platform, preferred discoverability and verification', () => {
    const { config, errors } = read(undefined);
    expect(errors).toEqual([]);
    expect(config).toEqual({
      disable: false,
      enablePasskeyLogin: false,
      passkeyUvTwoFactors: false,
      displayName: 'Gatehouse',
      attestationConveyancePreference: 'indirect',
      timeout: 60_000,
      selectionCriteria: { attachment: 'cross-platform', discoverability: 'preferred', userVerification: 'preferred' },
      filtering: { prohibitBackupEligibility: false, permittedAaguids: [], prohibitedAaguids: [] },
    });
  });

  it('reads every key', () => {
    const { config, errors } = read({
      enable_passkey_login: true,
      experimental_enable_passkey_uv_two_factors: true,
      display_name: 'Home',
      attestation_conveyance_preference: 'none',
      timeout: '2m',
      selection_criteria: { attachment: '', discoverability: 'required', user_verification: 'required' },
      filtering: { prohibit_backup_eligibility: true, permitted_aaguids: ['EE882879-721C-4913-9775-3DFCCE97072A'] },
    });
    expect(errors).toEqual([]);
    expect(config).toMatchObject({
      enablePasskeyLogin: true,
      passkeyUvTwoFactors: true,
      displayName: 'Home',
      attestationConveyancePreference: 'none',
      timeout: 120_000,
      selectionCriteria: { attachment: '', discoverability: 'required', userVerification: 'required' },
      filtering: { prohibitBackupEligibility: true, permittedAaguids: ['ee882879-721c-4913-9775-3dfcce97072a'], prohibitedAaguids: [] },
    });
  });

  it('refuses what Authelia refuses, naming the key', () => {
    const { errors } = read({
      disable: true,
      enable_passkey_login: true,
      attestation_conveyance_preference: 'enterprise',
      selection_criteria: { attachment: 'usb', user_verification: 'always' },
      filtering: { permitted_aaguids: ['not-a-uuid'], prohibited_aaguids: ['ee882879-721c-4913-9775-3dfcce97072a'] },
      metadata: { enabled: true },
      timeout: '0s',
    });
    const text = errors.join('\n');
    expect(text).toContain('webauthn.enable_passkey_login: must be false when webauthn.disable is true');
    expect(text).toMatch(/webauthn\.attestation_conveyance_preference: .*'enterprise'/);
    expect(text).toMatch(/webauthn\.selection_criteria\.attachment: .*'usb'/);
    expect(text).toMatch(/webauthn\.selection_criteria\.user_verification: .*'always'/);
    expect(text).toContain('webauthn.filtering.permitted_aaguids[0]: must be an AAGUID');
    expect(text).toContain('webauthn.filtering: must not set both permitted_aaguids and prohibited_aaguids');
    expect(text).toContain('webauthn.metadata.enabled: is not supported');
    expect(text).toMatch(/webauthn\.timeout: /);
    expect(read({ experimental_enable_passkey_uv_two_factors: true }).errors).toEqual([
      'webauthn.experimental_enable_passkey_uv_two_factors: must be false when webauthn.enable_passkey_login is false',
    ]);
  });

  it('warns about a passkey login that cannot find credentials, and about the ignored experimental upgrade', () => {
    const { warnings, errors } = read({
      enable_passkey_login: true,
      experimental_enable_passkey_upgrade: true,
      selection_criteria: { discoverability: 'discouraged' },
    });
    expect(errors).toEqual([]);
    expect(warnings.join('\n')).toContain("webauthn.selection_criteria.discoverability: is 'discouraged' while passkey login is enabled");
    expect(warnings.join('\n')).toContain('webauthn.experimental_enable_passkey_upgrade: is an experimental Authelia option');
  });
});

describe('webauthn in a configuration file', () => {
  it('is read and validated without a warning (keys and passkeys are served)', async () => {
    const { parseConfig } = await import('../../src/config/load.js');
    const base = {
      session: { cookies: [{ domain: 'example.com', portal_url: 'https://auth.example.com' }] },
      storage: { encryption_key: 'a-very-long-test-encryption-key', local: { path: '/tmp/x.db' } },
    };
    const loaded = parseConfig({ ...base, webauthn: { display_name: 'Home', timeout: '30s' } }, { env: {}, baseDir: '/' });
    expect(loaded.config.webauthn).toMatchObject({ displayName: 'Home', timeout: 30_000 });
    expect(loaded.warnings.join('\n')).not.toContain('webauthn');
  });
});
