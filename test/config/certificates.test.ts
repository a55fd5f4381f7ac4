import { mkdirSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { SMTPServer } from 'smtp-server';
import { describe, expect, it, onTestFinished } from 'vitest';
import { SmtpNotifier } from '../../src/auth/notifier/smtp-notifier.js';
import type { Config } from '../../src/config/config.js';
import { StartupError } from '../../src/shared/errors.js';
import { configOf, minimalRaw, problemsOf, tempDir } from '../helpers/config.js';
import { makeAuthority } from '../helpers/test-authority.js';

/** An SMTP server offering STARTTLS with a certificate the test authority signed. */
async function startSmtp(cert: string, key: string): Promise<number> {
  const server = new SMTPServer({ authOptional: true, logger: false, cert, key, onData: (s, _session, cb) => s.on('end', () => cb()).resume() });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return (server.server.address() as AddressInfo).port;
}

function smtpConfig(dir: string, port: number, certificatesDirectory?: string): Config {
  return configOf(
    minimalRaw(dir, {
      ...(certificatesDirectory ? { certificates_directory: certificatesDirectory } : {}),
      notifier: { smtp: { address: `smtp://127.0.0.1:${port}`, sender: 'auth@example.com', tls: { server_name: 'localhost' } } },
    }),
  );
}

describe('certificates_directory', () => {
  it('is trusted by the SMTP notifier: STARTTLS to a server signed by the test authority verifies', async () => {
    const dir = tempDir();
    const certs = join(dir, 'certs');
    mkdirSync(certs);
    const { ca, cert, key } = makeAuthority(dir);
    writeFileSync(join(certs, 'test-ca.crt'), ca);
    const port = await startSmtp(cert, key);
    const config = smtpConfig(dir, port, certs);
    expect(config.certificates.authorities).toEqual([ca.trim()]);
    const smtp = config.notifier?.kind === 'smtp' ? config.notifier.smtp : undefined;
    const notifier = new SmtpNotifier(smtp!);
    onTestFinished(() => notifier.close());
    await notifier.startupCheck();
  });

  it('without it, the same server is refused (its authority is not trusted)', async () => {
    const dir = tempDir();
    const { cert, key } = makeAuthority(dir);
    const port = await startSmtp(cert, key);
    const smtp = smtpConfig(dir, port).notifier;
    const notifier = new SmtpNotifier(smtp?.kind === 'smtp' ? smtp.smtp : (undefined as never));
    onTestFinished(() => notifier.close());
    await expect(notifier.startupCheck()).rejects.toBeInstanceOf(StartupError);
  });

  it('reaches the Redis tls structure', () => {
    const dir = tempDir();
    const certs = join(dir, 'certs');
    mkdirSync(certs);
    const { ca } = makeAuthority(dir);
    writeFileSync(join(certs, 'ca.pem'), ca);
    const config = configOf(
      minimalRaw(dir, {
        certificates_directory: certs,
        session: { ...(minimalRaw(dir).session as object), secret: 'a-long-enough-session-secret-for-tests', redis: { host: 'redis.example.com', tls: {} } },
      }),
    );
    expect(config.session.redis?.tls?.ca).toContain(ca.trim());
  });

  it('refuses a file that holds no certificate, naming it; ignores other file names', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'broken.pem'), 'not a certificate\n');
    writeFileSync(join(dir, 'notes.txt'), 'ignored\n');
    expect(problemsOf(minimalRaw(dir, { certificates_directory: dir }))).toEqual([
      `certificates_directory: the file '${join(dir, 'broken.pem')}' must hold PEM certificates ('-----BEGIN CERTIFICATE-----' …) but holds none`,
    ]);
  });

  it('refuses a damaged certificate, naming the file', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'bad.cer'), '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n');
    expect(problemsOf(minimalRaw(dir, { certificates_directory: dir }))[0]).toMatch(
      new RegExp(`^certificates_directory: the file '${join(dir, 'bad.cer')}' must hold valid PEM certificates but its certificate #1 cannot be read`),
    );
  });
});
