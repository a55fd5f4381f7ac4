import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LdapUserBackend } from '../../../src/auth/users/ldap-backend.js';
import { StoreUnavailableError } from '../../../src/shared/store-unavailable.js';
import { configOf, minimalRaw } from '../../helpers/config.js';
import { type Slapd, slapdService, slapdSkipReason, startSlapd } from '../../helpers/slapd.js';
import { makeAuthority } from '../../helpers/test-authority.js';

const skip = slapdSkipReason();
const clock = { now: () => Date.now() };

describe.skipIf(skip !== undefined)('LDAP over TLS (ldaps:// and StartTLS) against a real slapd, trusting certificates_directory', () => {
  let slapd: Slapd;
  let dir: string;
  let certs: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gh-ldap-tls-'));
    certs = join(dir, 'certs');
    mkdirSync(certs);
    const authority = makeAuthority(dir);
    writeFileSync(join(certs, 'test-ca.pem'), authority.ca);
    slapd = await startSlapd({ tls: { cert: authority.cert, key: authority.key } });
  }, 30_000);
  afterAll(async () => {
    await slapd?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function backend(ldap: Record<string, unknown>, withCertificates = true): LdapUserBackend {
    const raw = minimalRaw(dir, {
      ...(withCertificates ? { certificates_directory: certs } : {}),
      authentication_backend: {
        ldap: { implementation: 'rfc2307bis', base_dn: 'dc=example,dc=com', timeout: '3s', tls: { server_name: 'localhost' }, ...slapdService, ...ldap },
        password_reset: { disable: true },
        password_change: { disable: true },
      },
    });
    return new LdapUserBackend({ config: configOf(raw, {}, dir).authenticationBackend!.ldap!, clock });
  }

  it('ldaps:// signs in when the server certificate chains to certificates_directory', async () => {
    expect((await backend({ address: slapd.ldapsUrl }).checkPassword('harry', 'password'))?.groups).toEqual(['ops']);
  });

  it('StartTLS on ldap:// signs in the same way', async () => {
    expect((await backend({ address: slapd.url, start_tls: true }).checkPassword('harry', 'password'))?.username).toBe('harry');
  });

  it('without certificates_directory the unknown authority is refused: fail closed, never a plain fallback', async () => {
    for (const ldap of [{ address: slapd.ldapsUrl }, { address: slapd.url, start_tls: true }]) {
      const error = await backend(ldap, false)
        .checkPassword('harry', 'password')
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StoreUnavailableError);
      expect((error as StoreUnavailableError).reason).toBe('cannot connect (UNABLE_TO_VERIFY_LEAF_SIGNATURE)');
    }
  });

  it('a server name the certificate does not hold is refused', async () => {
    const error = await backend({ address: slapd.ldapsUrl, tls: { server_name: 'ldap.example.net' } })
      .find('harry')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect((error as StoreUnavailableError).reason).toBe('cannot connect (ERR_TLS_CERT_ALTNAME_INVALID)');
  });
});
