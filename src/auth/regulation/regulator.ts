import type { RegulationConfig } from '../../config/regulation.js';
import type { Clock } from '../../shared/clock.js';
import { type AuthnMethod, type Observer, silentObserver } from '../../shared/observe.js';
import type { AuthenticationLogRepository, BanRepository } from '../../storage/storage.js';

/** Authelia's names for the kinds of attempt, as stored in `authentication_logs.auth_type`. */
export const authTypes = { '1fa': '1FA', '2fa-totp': 'TOTP', webauthn: 'WebAuthn', passkey: 'Passkey' } as const;
export type AttemptKind = keyof typeof authTypes;

/** The method each kind is reported as (shared/observe.ts). */
const methods: Readonly<Record<AttemptKind, AuthnMethod>> = { '1fa': '1fa', '2fa-totp': 'totp', webauthn: 'webauthn', passkey: 'passkey' };

/** One authentication attempt to record. */
export interface Attempt {
  readonly username: string;
  readonly ip: string;
  readonly successful: boolean;
  readonly kind: AttemptKind;
  readonly requestMethod: string;
  readonly requestUri: string;
  /** Refused because of a ban, without checking the credentials. */
  readonly banned: boolean;
}

/** Whether a login is refused, and until when (ms since epoch; absent for a permanent ban). */
export interface BanStatus {
  readonly banned: boolean;
  readonly until?: number;
}

export interface RegulatorOptions {
  readonly config: RegulationConfig;
  readonly storage: { readonly authLogs: AuthenticationLogRepository; readonly bans: BanRepository };
  readonly clock: Clock;
  /** Told of every attempt and every ban (the audit log, the metrics). */
  readonly observer?: Pick<Observer, 'event'> | undefined;
}

const source = 'regulation';
const reason = 'Exceeding Maximum Retries';

/**
 * Brute-force regulation, Authelia's algorithm (`internal/regulation/regulator.go`): every
 * attempt is logged; only failed first-factor attempts can ban. After a failure, the newest
 * `max_retries` first-factor attempts within `find_time` are read, newest first, stopping at
 * the first success; when that many are failures, the username and/or IP (per `modes`) is
 * banned until the newest failure + `ban_time`.
 */
export class Regulator {
  readonly #config: RegulationConfig;
  readonly #logs: AuthenticationLogRepository;
  readonly #bans: BanRepository;
  readonly #clock: Clock;
  readonly #observer: Pick<Observer, 'event'>;

  constructor(options: RegulatorOptions) {
    this.#observer = options.observer ?? silentObserver;
    this.#config = options.config;
    this.#logs = options.storage.authLogs;
    this.#bans = options.storage.bans;
    this.#clock = options.clock;
  }

  /**
   * Whether `username` or `ip` is banned now: the IP first, then the user. Bans apply whatever
   * the configured `modes` (a ban made under an earlier configuration, or by hand, still holds).
   */
  async check(username: string, ip: string): Promise<BanStatus> {
    const now = this.#clock.now();
    const ban = (await this.#bans.activeIpBan(ip, now)) ?? (await this.#bans.activeUserBan(username, now));
    if (!ban) return { banned: false };
    return ban.expires === undefined ? { banned: true } : { banned: true, until: ban.expires };
  }

  /** Logs the attempt and, for a failed first factor, bans when the limit is reached; the observer hears both. */
  async record(attempt: Attempt): Promise<void> {
    const now = this.#clock.now();
    const authType = authTypes[attempt.kind];
    const { username, ip } = attempt;
    this.#observer.event({
      event: 'authn',
      method: methods[attempt.kind],
      outcome: attempt.banned ? 'banned' : attempt.successful ? 'success' : 'failure',
      username,
      ip,
    });
    await this.#logs.append({
      time: now,
      successful: attempt.successful,
      banned: attempt.banned,
      username: attempt.username,
      authType,
      remoteIp: attempt.ip,
      requestUri: attempt.requestUri,
      requestMethod: attempt.requestMethod,
    });
    const { maxRetries, findTime, banTime, modes } = this.#config;
    if (attempt.successful || attempt.banned || attempt.kind !== '1fa' || maxRetries <= 0) return;
    const since = now - findTime;
    if (modes.includes('ip')) {
      const expires = bannedUntil(await this.#logs.recentByIp(attempt.ip, authType, since, maxRetries), maxRetries, banTime);
      if (expires !== undefined) {
        await this.#bans.banIp(attempt.ip, { time: now, expires, source, reason });
        this.#observer.event({ event: 'ban', scope: 'ip', username, ip, until: expires });
      }
    }
    if (modes.includes('user')) {
      const expires = bannedUntil(await this.#logs.recentByUser(attempt.username, authType, since, maxRetries), maxRetries, banTime);
      if (expires !== undefined) {
        await this.#bans.banUser(attempt.username, { time: now, expires, source, reason });
        this.#observer.event({ event: 'ban', scope: 'user', username, ip, until: expires });
      }
    }
  }
}

/** When a ban should end, or `undefined` when the newest attempts do not warrant one. */
function bannedUntil(newestFirst: readonly { time: number; successful: boolean }[], maxRetries: number, banTime: number): number | undefined {
  let failures = 0;
  for (const attempt of newestFirst) {
    if (attempt.successful) break;
    failures++;
  }
  return failures >= maxRetries && newestFirst[0] ? newestFirst[0].time + banTime : undefined;
}
