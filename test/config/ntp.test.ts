import { describe, expect, it } from 'vitest';
import type { NtpConfig } from '../../src/config/ntp.js';
import { checkClock, measureOffset } from '../../src/server/ntp-check.js';
import { ManualClock } from '../../src/shared/clock.js';
import { StartupError } from '../../src/shared/errors.js';
import { configOf, minimalRaw, problemsOf, tempDir } from '../helpers/config.js';
import { startNtpServer } from '../helpers/ntp-server.js';

function ntp(port: number, over: Partial<NtpConfig> = {}): NtpConfig {
  return {
    address: { scheme: 'udp', host: '127.0.0.1', port },
    version: 4,
    maxDesync: 3000,
    disableStartupCheck: false,
    disableFailure: false,
    ...over,
  };
}

/** A log that keeps what it is told. */
function memoryLog() {
  const lines: string[] = [];
  return {
    lines,
    log: { warn: (m: string) => lines.push(`warn ${m}`), error: (m: string) => lines.push(`error ${m}`), info: (m: string) => lines.push(`info ${m}`) },
  };
}

describe('ntp configuration', () => {
  it("applies Authelia's defaults", () => {
    expect(configOf(minimalRaw(tempDir())).ntp).toEqual({
      address: { scheme: 'udp', host: 'time.cloudflare.com', port: 123 },
      version: 4,
      maxDesync: 3000,
      disableStartupCheck: false,
      disableFailure: false,
    });
  });

  it('reads every key', () => {
    const raw = minimalRaw(tempDir(), {
      ntp: { address: 'udp6://[::1]:1123', version: 3, max_desync: '10 seconds', disable_startup_check: true, disable_failure: true },
    });
    expect(configOf(raw).ntp).toEqual({
      address: { scheme: 'udp6', host: '::1', port: 1123 },
      version: 3,
      maxDesync: 10_000,
      disableStartupCheck: true,
      disableFailure: true,
    });
  });

  it('refuses another scheme and another version, with their paths', () => {
    expect(problemsOf(minimalRaw(tempDir(), { ntp: { address: 'tcp://time.example.com:123', version: 2 } }))).toEqual([
      "ntp.address: must be 'udp://HOST:PORT' (or udp4://, udp6://; the port defaults to 123) but is 'tcp://time.example.com:123'",
      "ntp.version: must be one of '3', '4' but is '2'",
    ]);
  });
});

describe('the start-up clock check', () => {
  it('measures the offset of a server ahead by 10 seconds', async () => {
    const server = await startNtpServer({ offsetMs: 10_000 });
    const offset = await measureOffset(ntp(server.port), { now: Date.now }, 2000);
    expect(offset).toBeGreaterThan(9_900);
    expect(offset).toBeLessThan(10_100);
    // LI 3, version 4, mode 3 (client).
    expect(server.requests).toEqual([(3 << 6) | (4 << 3) | 3]);
  });

  it('sends version 3 when configured', async () => {
    const server = await startNtpServer();
    await measureOffset(ntp(server.port, { version: 3 }), { now: Date.now }, 2000);
    expect(server.requests).toEqual([(3 << 6) | (3 << 3) | 3]);
  });

  it('refuses to start when the clock is off by more than max_desync (disable_failure: false, the default)', async () => {
    // One manual clock on both ends: the measured offset is exactly the server's, whatever the scheduler does.
    const clock = new ManualClock();
    const server = await startNtpServer({ offsetMs: 10_000, now: () => clock.now() });
    const { log } = memoryLog();
    const failure = await checkClock(ntp(server.port), { clock, log }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(StartupError);
    expect((failure as StartupError).code).toBe('GH_NTP_DESYNC');
    expect((failure as StartupError).message).toMatch(
      /^ntp: the system clock is off by 10\.000 seconds from 'udp:\/\/127\.0\.0\.1:\d+', more than max_desync \(3 seconds\)/,
    );
  });

  it('logs an error and starts with disable_failure: true', async () => {
    const clock = new ManualClock();
    const server = await startNtpServer({ offsetMs: -10_000, now: () => clock.now() });
    const { lines, log } = memoryLog();
    await checkClock(ntp(server.port, { disableFailure: true }), { clock, log });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^error ntp: the system clock is off by 10\.000 seconds .*starting anyway \(ntp\.disable_failure\)$/);
  });

  it('starts when the clock is within max_desync', async () => {
    const clock = new ManualClock();
    const server = await startNtpServer({ offsetMs: 1_000, now: () => clock.now() });
    const { lines, log } = memoryLog();
    await checkClock(ntp(server.port), { clock, log });
    expect(lines[0]).toMatch(/^info ntp: the clock is within 1\.000 seconds/);
  });

  it('uses the injected clock: a clock 1 hour behind the server fails', async () => {
    const server = await startNtpServer();
    const clock = new ManualClock(Date.now() - 3_600_000);
    await expect(checkClock(ntp(server.port), { clock, log: memoryLog().log })).rejects.toThrow(/off by 3600\.\d{3} seconds/);
  });

  it('only warns when the server never answers (Authelia: an unreachable server does not stop the start)', async () => {
    const server = await startNtpServer({ silent: true });
    const { lines, log } = memoryLog();
    await checkClock(ntp(server.port), { clock: { now: Date.now }, log, timeoutMs: 100 });
    expect(server.requests).toHaveLength(1);
    expect(lines).toEqual([`warn ntp: could not determine the clock offset from 'udp://127.0.0.1:${server.port}': no answer within 0.1 seconds`]);
  });

  it('sends nothing with disable_startup_check', async () => {
    const server = await startNtpServer({ offsetMs: 10_000 });
    await checkClock(ntp(server.port, { disableStartupCheck: true }), { clock: { now: Date.now }, log: memoryLog().log });
    expect(server.requests).toEqual([]);
  });
});
