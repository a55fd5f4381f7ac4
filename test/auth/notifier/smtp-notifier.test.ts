import type { AddressInfo } from 'node:net';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import { describe, expect, it, onTestFinished } from 'vitest';
import type { SmtpNotifierConfig } from '../../../src/config/notifier.js';
import { SmtpNotifier } from '../../../src/auth/notifier/smtp-notifier.js';
import { createNotifier } from '../../../src/auth/notifier/create-notifier.js';
import { ManualClock } from '../../../src/shared/clock.js';
import { StartupError } from '../../../src/shared/errors.js';

interface Received {
  from: string;
  to: string[];
  raw: string;
  secure: boolean;
  user: string | undefined;
}

/** A real SMTP server (smtp-server, its built-in self-signed certificate) on a free loopback port. */
async function startServer(options: Partial<SMTPServerOptions> = {}) {
  const received: Received[] = [];
  const server = new SMTPServer({
    authOptional: true,
    logger: false,
    onAuth(auth, _session, callback) {
      if (auth.username === 'gatehouse' && auth.password === 's3cret') callback(null, { user: auth.username });
      else callback(new Error('Invalid username or password'));
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        received.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks).toString('utf8'),
          secure: session.secure,
          user: session.user as string | undefined,
        });
        callback();
      });
    },
    ...options,
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { port: (server.server.address() as AddressInfo).port, received };
}

function tlsConfig(over: Partial<SmtpNotifierConfig['tls']>): SmtpNotifierConfig['tls'] {
  const base = { skipVerify: true, serverName: 'localhost', minimumVersion: 'TLSv1.2', maximumVersion: 'TLSv1.3' } as const;
  return { ...base, certificateChain: undefined, privateKey: undefined, ...over };
}

function config(port: number, over: Partial<SmtpNotifierConfig> = {}): SmtpNotifierConfig {
  return {
    address: { scheme: 'smtp', host: '127.0.0.1', port },
    timeout: 5000,
    username: undefined,
    password: undefined,
    identifier: 'gatehouse.test',
    sender: 'Gatehouse <auth@example.com>',
    subject: '[Gatehouse] {title}',
    startupCheckAddress: 'test@example.com',
    disableRequireTls: false,
    disableStarttls: false,
    disableHtmlEmails: false,
    tls: tlsConfig({ skipVerify: true }),
    ...over,
  };
}

function notifier(c: SmtpNotifierConfig): SmtpNotifier {
  const n = new SmtpNotifier(c);
  onTestFinished(() => n.close());
  return n;
}

describe('SmtpNotifier against a real SMTP server', () => {
  it('sends over STARTTLS with authentication, wrapping the title in the subject template', async () => {
    const server = await startServer();
    const smtp = notifier(config(server.port, { username: 'gatehouse', password: 's3cret' }));
    await smtp.startupCheck();
    await smtp.send({ to: 'john@example.com', subject: 'Confirm your identity', text: 'Your code: ABCD2345', html: '<p>Your code: <b>ABCD2345</b></p>' });
    expect(server.received).toHaveLength(1);
    const [mail] = server.received;
    expect(mail).toMatchObject({ from: 'auth@example.com', to: ['john@example.com'], secure: true, user: 'gatehouse' });
    expect(mail!.raw).toContain('Subject: [Gatehouse] Confirm your identity');
    expect(mail!.raw).toContain('From: Gatehouse <auth@example.com>');
    expect(mail!.raw).toContain('Your code: ABCD2345');
    expect(mail!.raw).toContain('text/html');
  });

  it('sends text only with disable_html_emails', async () => {
    const server = await startServer();
    await notifier(config(server.port, { disableHtmlEmails: true })).send({ to: 'a@example.com', subject: 'T', text: 'plain', html: '<p>html</p>' });
    expect(server.received[0]!.raw).not.toContain('text/html');
  });

  it('uses implicit TLS for submissions://', async () => {
    const server = await startServer({ secure: true });
    const smtp = notifier(config(server.port, { address: { scheme: 'submissions', host: '127.0.0.1', port: server.port } }));
    await smtp.send({ to: 'john@example.com', subject: 'T', text: 'x' });
    expect(server.received[0]!.secure).toBe(true);
  });

  it('refuses a server without STARTTLS unless disable_require_tls', async () => {
    const server = await startServer({ disabledCommands: ['STARTTLS'] });
    const strict = notifier(config(server.port));
    await expect(strict.startupCheck()).rejects.toBeInstanceOf(StartupError);
    await expect(strict.send({ to: 'john@example.com', subject: 'T', text: 'x' })).rejects.toMatchObject({ code: 'GH_NOTIFIER_SEND' });
    expect(server.received).toHaveLength(0);
    const lax = notifier(config(server.port, { disableRequireTls: true }));
    await lax.startupCheck();
    await lax.send({ to: 'john@example.com', subject: 'T', text: 'x' });
    expect(server.received[0]!.secure).toBe(false);
  });

  it("verifies the server's certificate unless tls.skip_verify", async () => {
    const server = await startServer();
    const verifying = notifier(config(server.port, { tls: tlsConfig({ skipVerify: false }) }));
    const error = await verifying.startupCheck().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StartupError);
    expect((error as StartupError).message).toMatch(/^notifier\.smtp\.address: cannot use the SMTP server 'smtp:\/\/127\.0\.0\.1:\d+': .*certificate/i);
  });

  it('fails the startup check with wrong credentials, and createNotifier skips it when disabled', async () => {
    const server = await startServer();
    const wrong = config(server.port, { username: 'gatehouse', password: 'nope' });
    const clock = new ManualClock();
    await expect(createNotifier({ disableStartupCheck: false, kind: 'smtp', smtp: wrong }, clock)).rejects.toMatchObject({
      code: 'GH_NOTIFIER_STARTUP',
    });
    const unchecked = await createNotifier({ disableStartupCheck: true, kind: 'smtp', smtp: wrong }, clock);
    onTestFinished(() => unchecked.close());
    await expect(unchecked.send({ to: 'a@example.com', subject: 'T', text: 'x' })).rejects.toMatchObject({ code: 'GH_NOTIFIER_SEND' });
  });
});
