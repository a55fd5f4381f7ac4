import { type Socket, createSocket } from 'node:dgram';
import { lookup } from 'node:dns/promises';
import type { NtpConfig } from '../config/ntp.js';
import type { Clock } from '../shared/clock.js';
import { StartupError } from '../shared/errors.js';

/** Seconds between the NTP era (1900) and the Unix epoch (1970). */
const ntpEpochOffset = 2_208_988_800;

/** What the check needs besides `ntp`: the clock compared, how long to wait (Authelia: 5 s), where warnings go. */
export interface NtpCheckOptions {
  readonly clock: Clock;
  readonly timeoutMs?: number;
  readonly log: { warn(message: string): void; error(message: string): void; info(message: string): void };
}

/**
 * The start-up clock check, with Authelia's semantics: a server that cannot be reached (or answers
 * nonsense) is a warning and the start goes on; a clock off by more than `max_desync` stops the start,
 * unless `disable_failure`, where it is logged as an error. `disable_startup_check` skips it all.
 * @throws StartupError `GH_NTP_DESYNC`.
 */
export async function checkClock(config: NtpConfig, options: NtpCheckOptions): Promise<void> {
  if (config.disableStartupCheck) return;
  const server = `udp://${config.address.host.includes(':') ? `[${config.address.host}]` : config.address.host}:${config.address.port}`;
  let offset: number;
  try {
    offset = await measureOffset(config, options.clock, options.timeoutMs ?? 5000);
  } catch (error) {
    options.log.warn(`ntp: could not determine the clock offset from '${server}': ${(error as Error).message}`);
    return;
  }
  const seconds = (Math.abs(offset) / 1000).toFixed(3);
  if (Math.abs(offset) <= config.maxDesync) {
    options.log.info(`ntp: the clock is within ${seconds} seconds of '${server}'`);
    return;
  }
  const message = `ntp: the system clock is off by ${seconds} seconds from '${server}', more than max_desync (${config.maxDesync / 1000} seconds)`;
  if (config.disableFailure) {
    options.log.error(`${message}; starting anyway (ntp.disable_failure)`);
    return;
  }
  throw new StartupError('GH_NTP_DESYNC', `${message}; synchronise the clock, or set ntp.disable_failure: true to start anyway`);
}

/**
 * One SNTP exchange (RFC 4330): the offset in milliseconds, ((T2 − T1) + (T3 − T4)) / 2, positive when
 * the server is ahead. (Authelia compares its clock with the server's transmit time only; the RFC's
 * formula also removes the network delay.)
 * @throws Error when the server does not answer within `timeoutMs` or answers something that is not an NTP reply.
 */
export async function measureOffset(config: NtpConfig, clock: Clock, timeoutMs: number): Promise<number> {
  const { host, port, scheme } = config.address;
  const family = scheme === 'udp4' ? 4 : scheme === 'udp6' ? 6 : 0;
  let timer: NodeJS.Timeout | undefined;
  let socket: Socket | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs / 1000} seconds`)), timeoutMs);
  });
  const query = async () => {
    const resolved = await lookup(host, { family });
    socket = createSocket(resolved.family === 6 ? 'udp6' : 'udp4');
    return exchange(socket, resolved.address, port, config.version, clock);
  };
  try {
    return await Promise.race([query(), timeout]);
  } finally {
    clearTimeout(timer);
    socket?.close();
  }
}

function exchange(socket: Socket, address: string, port: number, version: 3 | 4, clock: Clock): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = Buffer.alloc(48);
    // LI 3 (unknown), the version, mode 3 (client); the transmit time is the client's T1.
    request[0] = (3 << 6) | (version << 3) | 3;
    const t1 = clock.now();
    writeTimestamp(request, 40, t1);
    socket.once('error', (error) => reject(error));
    socket.on('message', (reply) => {
      const t4 = clock.now();
      const mode = (reply[0] ?? 0) & 0x7;
      if (reply.length < 48 || (mode !== 4 && mode !== 5) || reply.readUInt32BE(40) === 0) {
        reject(new Error('the answer is not an NTP server reply'));
        return;
      }
      const t2 = readTimestamp(reply, 32);
      const t3 = readTimestamp(reply, 40);
      resolve((t2 - t1 + (t3 - t4)) / 2);
    });
    socket.send(request, port, address, (error) => {
      if (error) reject(error);
    });
  });
}

/** An NTP timestamp (seconds since 1900 and a 32-bit fraction) at `offset`, as Unix milliseconds. */
export function readTimestamp(buffer: Buffer, offset: number): number {
  return (buffer.readUInt32BE(offset) - ntpEpochOffset) * 1000 + (buffer.readUInt32BE(offset + 4) * 1000) / 2 ** 32;
}

/** Writes Unix milliseconds `ms` as an NTP timestamp at `offset`. */
export function writeTimestamp(buffer: Buffer, offset: number, ms: number): void {
  const seconds = Math.floor(ms / 1000);
  buffer.writeUInt32BE((seconds + ntpEpochOffset) >>> 0, offset);
  buffer.writeUInt32BE(Math.floor(((ms - seconds * 1000) / 1000) * 2 ** 32) >>> 0, offset + 4);
}
