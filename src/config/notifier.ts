import { defaults } from './defaults.js';
import { describe, keyPath } from './problems.js';
import { type ReadContext, readBoolean, readDuration, readMapping, readPath, readSecret, readString } from './reader.js';
import { type TlsClientConfig, readTlsClient } from './tls-client.js';

/** `smtp://` (STARTTLS on 25), `submission://` (STARTTLS on 587), `submissions://` (implicit TLS on 465). */
export interface SmtpAddress {
  readonly scheme: 'smtp' | 'submission' | 'submissions';
  readonly host: string;
  readonly port: number;
}

/** `notifier.smtp`, with Authelia's keys and defaults. */
export interface SmtpNotifierConfig {
  readonly address: SmtpAddress;
  /** Milliseconds for connecting and for each reply. */
  readonly timeout: number;
  readonly username: string | undefined;
  readonly password: string | undefined;
  /** The name sent in HELO/EHLO. */
  readonly identifier: string;
  /** The From header, e.g. `Gatehouse <auth@example.com>`. */
  readonly sender: string;
  /** Subject template; `{title}` is replaced by the message's title. */
  readonly subject: string;
  readonly startupCheckAddress: string;
  /** Send in plain text when the server offers no STARTTLS (off: such a server is refused). */
  readonly disableRequireTls: boolean;
  /** Never upgrade with STARTTLS (for servers that announce it but fail it). */
  readonly disableStarttls: boolean;
  readonly disableHtmlEmails: boolean;
  /** Authelia's `tls` structure (`server_name` defaults to the address host); also trusts `certificates_directory`. */
  readonly tls: TlsClientConfig & { readonly serverName: string };
}

/** `notifier`: exactly one of `filesystem` and `smtp`. */
export type NotifierConfig = { readonly disableStartupCheck: boolean } & (
  | { readonly kind: 'filesystem'; readonly filesystem: { readonly filename: string } }
  | { readonly kind: 'smtp'; readonly smtp: SmtpNotifierConfig }
);

const smtpDefaultPorts = { smtp: 25, submission: 587, submissions: 465 } as const;

/** Reads `notifier`; `undefined` when the section is absent. */
export function readNotifier(ctx: ReadContext, value: unknown): NotifierConfig | undefined {
  if (value === undefined || value === null) return undefined;
  const path = 'notifier';
  const raw = readMapping(ctx, path, value, ['disable_startup_check', 'filesystem', 'smtp', 'template_path']);
  if (!raw) return undefined;
  if (raw.template_path !== undefined) ctx.problems.error(keyPath(path, 'template_path'), 'is not supported by this version of Gatehouse');
  const disableStartupCheck = readBoolean(ctx, keyPath(path, 'disable_startup_check'), raw.disable_startup_check, false);
  const configured = (['filesystem', 'smtp'] as const).filter((k) => raw[k] !== undefined && raw[k] !== null);
  if (configured.length !== 1) {
    const found = configured.length === 0 ? 'none' : 'both';
    ctx.problems.error(path, `must configure exactly one of 'filesystem', 'smtp' but configures ${found}`);
    return undefined;
  }
  if (configured[0] === 'filesystem') {
    const fsAt = keyPath(path, 'filesystem');
    const fs = readMapping(ctx, fsAt, raw.filesystem, ['filename']);
    const filename = fs && readPath(ctx, keyPath(fsAt, 'filename'), fs.filename, { required: true });
    return filename === undefined ? undefined : { disableStartupCheck, kind: 'filesystem', filesystem: { filename } };
  }
  const smtp = readSmtp(ctx, keyPath(path, 'smtp'), raw.smtp);
  return smtp && { disableStartupCheck, kind: 'smtp', smtp };
}

function readSmtp(ctx: ReadContext, path: string, value: unknown): SmtpNotifierConfig | undefined {
  const d = defaults.notifier.smtp;
  const raw = readMapping(ctx, path, value, [
    'address',
    'timeout',
    'username',
    'password',
    'identifier',
    'sender',
    'subject',
    'startup_check_address',
    'disable_require_tls',
    'disable_starttls',
    'disable_html_emails',
    'tls',
    'host',
    'port',
  ]);
  if (!raw) return undefined;
  for (const legacy of ['host', 'port']) {
    if (raw[legacy] !== undefined) {
      ctx.problems.error(keyPath(path, legacy), "is Authelia's legacy form; use notifier.smtp.address: 'smtp://HOST:PORT' instead");
    }
  }
  const address = readSmtpAddress(ctx, keyPath(path, 'address'), raw.address ?? d.address);
  const username = readString(ctx, keyPath(path, 'username'), raw.username);
  const password = readSecret(ctx, keyPath(path, 'password'), raw.password);
  if (username !== undefined && password === undefined) {
    ctx.problems.error(keyPath(path, 'password'), 'must be set when notifier.smtp.username is set but is absent');
  }
  if (username === undefined && password !== undefined) {
    ctx.problems.error(keyPath(path, 'username'), 'must be set when notifier.smtp.password is set but is absent');
  }
  const sender = readString(ctx, keyPath(path, 'sender'), raw.sender, { required: true });
  if (sender !== undefined && sender.trim() !== '' && !/^(?:[^<>]*<[^<>@\s]+@[^<>@\s]+>|[^<>@\s]+@[^<>@\s]+)$/.test(sender.trim())) {
    ctx.problems.error(keyPath(path, 'sender'), `must be an email address such as 'Gatehouse <auth@example.com>' but is ${describe(sender)}`);
  }
  const disableRequireTls = readBoolean(ctx, keyPath(path, 'disable_require_tls'), raw.disable_require_tls, false);
  const disableStarttls = readBoolean(ctx, keyPath(path, 'disable_starttls'), raw.disable_starttls, false);
  if (disableStarttls && !disableRequireTls && address?.scheme !== 'submissions') {
    ctx.problems.error(
      keyPath(path, 'disable_starttls'),
      "must not be true while TLS is required (set disable_require_tls: true, or use 'submissions://') but is true",
    );
  }
  const tls = readTlsClient(ctx, keyPath(path, 'tls'), raw.tls ?? {}, address?.host);
  if (!address || sender === undefined || !tls) return undefined;
  return {
    address,
    timeout: readDuration(ctx, keyPath(path, 'timeout'), raw.timeout, d.timeout, { min: 1000 }),
    username,
    password,
    identifier: readString(ctx, keyPath(path, 'identifier'), raw.identifier) ?? d.identifier,
    sender: sender.trim(),
    subject: readString(ctx, keyPath(path, 'subject'), raw.subject) ?? d.subject,
    startupCheckAddress: readString(ctx, keyPath(path, 'startup_check_address'), raw.startup_check_address) ?? d.startupCheckAddress,
    disableRequireTls,
    disableStarttls,
    disableHtmlEmails: readBoolean(ctx, keyPath(path, 'disable_html_emails'), raw.disable_html_emails, false),
    tls: { ...tls, serverName: tls.serverName ?? address.host },
  };
}

function readSmtpAddress(ctx: ReadContext, path: string, value: unknown): SmtpAddress | undefined {
  const text = readString(ctx, path, value);
  if (text === undefined) return undefined;
  const match = /^(smtp|submissions?):\/\/(\[[0-9a-fA-F:.]+\]|[^\s/:@[\]]+)(?::(\d{1,5}))?\/?$/.exec(text.trim());
  const scheme = match?.[1] as SmtpAddress['scheme'] | undefined;
  const port = match?.[3] === undefined ? undefined : Number(match[3]);
  if (!match || !scheme || (port !== undefined && (port < 1 || port > 65_535))) {
    ctx.problems.error(path, `must be 'smtp://HOST:PORT', 'submission://HOST:PORT' or 'submissions://HOST:PORT' but is ${describe(value)}`);
    return undefined;
  }
  return { scheme, host: match[2]!.replace(/^\[|\]$/g, ''), port: port ?? smtpDefaultPorts[scheme] };
}
