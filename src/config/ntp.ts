import { describe, keyPath } from './problems.js';
import { type ReadContext, readBoolean, readChoice, readDuration, readMapping, readString } from './reader.js';

/** Where the NTP server is: `udp://` lets the name resolve to either family, `udp4://`/`udp6://` pin one. */
export interface NtpAddress {
  readonly scheme: 'udp' | 'udp4' | 'udp6';
  readonly host: string;
  readonly port: number;
}

/** `ntp`: the clock check made at start, with Authelia's keys and defaults. */
export interface NtpConfig {
  readonly address: NtpAddress;
  readonly version: 3 | 4;
  /** Milliseconds the clock may differ from the server's before the check fails. */
  readonly maxDesync: number;
  /** No check at all. */
  readonly disableStartupCheck: boolean;
  /** A clock off by more than `max_desync` is logged as an error instead of stopping the start. */
  readonly disableFailure: boolean;
}

const ntpDefaults = { address: 'udp://time.cloudflare.com:123', version: 4, maxDesync: 3000 } as const;

/** Reads `ntp`; absent → Authelia's defaults (the check runs against time.cloudflare.com). */
export function readNtp(ctx: ReadContext, value: unknown): NtpConfig {
  const path = 'ntp';
  const raw = readMapping(ctx, path, value, ['address', 'version', 'max_desync', 'disable_startup_check', 'disable_failure']) ?? {};
  const address = readNtpAddress(ctx, keyPath(path, 'address'), raw.address ?? ntpDefaults.address) ?? parseNtpAddress(ntpDefaults.address)!;
  const version = readChoice(ctx, keyPath(path, 'version'), raw.version === undefined ? undefined : String(raw.version), ['3', '4'] as const, '4');
  const maxDesync = readDuration(ctx, keyPath(path, 'max_desync'), raw.max_desync, ntpDefaults.maxDesync);
  return {
    address,
    version: version === '3' ? 3 : 4,
    // Authelia: zero or less means the default.
    maxDesync: maxDesync > 0 ? maxDesync : ntpDefaults.maxDesync,
    disableStartupCheck: readBoolean(ctx, keyPath(path, 'disable_startup_check'), raw.disable_startup_check, false),
    disableFailure: readBoolean(ctx, keyPath(path, 'disable_failure'), raw.disable_failure, false),
  };
}

function readNtpAddress(ctx: ReadContext, path: string, value: unknown): NtpAddress | undefined {
  const text = readString(ctx, path, value);
  if (text === undefined) return undefined;
  const address = parseNtpAddress(text);
  if (!address) ctx.problems.error(path, `must be 'udp://HOST:PORT' (or udp4://, udp6://; the port defaults to 123) but is ${describe(value)}`);
  return address;
}

/** `udp://host:123`, `udp6://[::1]:123`, or `host:123` (read as `udp://`). */
export function parseNtpAddress(text: string): NtpAddress | undefined {
  const withScheme = text.includes('://') ? text.trim() : `udp://${text.trim()}`;
  const match = /^(udp[46]?):\/\/(\[[0-9a-fA-F:.]+\]|[^\s/:@[\]]+)(?::(\d{1,5}))?\/?$/.exec(withScheme);
  const port = match?.[3] === undefined ? 123 : Number(match[3]);
  if (!match || port < 1 || port > 65_535) return undefined;
  return { scheme: match[1] as NtpAddress['scheme'], host: match[2]!.replace(/^\[|\]$/g, ''), port };
}
