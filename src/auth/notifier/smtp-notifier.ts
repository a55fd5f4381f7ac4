import type { ConnectionOptions } from 'node:tls';
import nodemailer, { type Transporter } from 'nodemailer';
import type SMTPTransport from 'nodemailer/lib/smtp-transport/index.js';
import type { SmtpNotifierConfig } from '../../config/notifier.js';
import { GatehouseError, StartupError } from '../../shared/errors.js';
import type { NotificationMessage, Notifier } from './notifier.js';

/**
 * Sends messages by SMTP (nodemailer). `submissions://` uses implicit TLS; `smtp://` and
 * `submission://` upgrade with STARTTLS, which is required unless `disable_require_tls`.
 */
export class SmtpNotifier implements Notifier {
  readonly #config: SmtpNotifierConfig;
  readonly #transport: Transporter<SMTPTransport.SentMessageInfo>;

  constructor(config: SmtpNotifierConfig) {
    this.#config = config;
    this.#transport = nodemailer.createTransport(transportOptions(config));
  }

  async send(message: NotificationMessage): Promise<void> {
    const html = this.#config.disableHtmlEmails ? undefined : message.html;
    try {
      await this.#transport.sendMail({
        from: this.#config.sender,
        to: message.to,
        subject: this.#config.subject.replaceAll('{title}', message.subject),
        text: message.text,
        ...(html === undefined ? {} : { html }),
      });
    } catch (cause) {
      throw new GatehouseError('GH_NOTIFIER_SEND', `cannot send an email to '${message.to}': ${(cause as Error).message}`, { cause });
    }
  }

  async startupCheck(): Promise<void> {
    try {
      await this.#transport.verify();
    } catch (cause) {
      const { scheme, host, port } = this.#config.address;
      throw new StartupError(
        'GH_NOTIFIER_STARTUP',
        `notifier.smtp.address: cannot use the SMTP server '${scheme}://${host}:${port}': ${(cause as Error).message}`,
        cause,
      );
    }
  }

  async close(): Promise<void> {
    this.#transport.close();
  }
}

/** nodemailer's options for a configuration. */
export function transportOptions(config: SmtpNotifierConfig): SMTPTransport.Options {
  const implicitTls = config.address.scheme === 'submissions';
  return {
    host: config.address.host,
    port: config.address.port,
    secure: implicitTls,
    requireTLS: !implicitTls && !config.disableRequireTls,
    ignoreTLS: !implicitTls && config.disableStarttls,
    name: config.identifier,
    connectionTimeout: config.timeout,
    greetingTimeout: config.timeout,
    socketTimeout: config.timeout,
    ...(config.username === undefined ? {} : { auth: { user: config.username, pass: config.password ?? '' } }),
    tls: tlsOptions(config.tls),
  };
}

/** node:tls options for the `tls` structure: verification, versions, the client certificate, the trusted authorities. */
function tlsOptions(tls: SmtpNotifierConfig['tls']): ConnectionOptions {
  return {
    rejectUnauthorized: !tls.skipVerify,
    servername: tls.serverName,
    minVersion: tls.minimumVersion,
    maxVersion: tls.maximumVersion,
    ...(tls.certificateChain !== undefined && tls.privateKey !== undefined ? { cert: tls.certificateChain, key: tls.privateKey } : {}),
    ...(tls.ca ? { ca: [...tls.ca] } : {}),
  };
}
