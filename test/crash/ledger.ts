/**
 * What the clients of the crash test received before the kill — only complete answers count —
 * and what they had sent without an answer when it came. The checks after the restart read it.
 */

/** The kinds of request the load sends, counted apart. */
export const kinds = ['login', 'forward-auth', 'authorize', 'code-exchange', 'refresh', 'userinfo'] as const;
export type Kind = (typeof kinds)[number];

/** An authorization code received in a redirect, with what redeeming it needs. */
export interface HeldCode {
  readonly user: string;
  readonly callbackUrl: URL;
  readonly verifier: string;
  readonly state: string;
  readonly nonce: string;
  /** Its exchange was sent and not answered when the gateway died (it may have been redeemed). */
  inFlight: boolean;
}

/** A grant's refresh-token chain: the newest token the client holds. */
export interface Chain {
  readonly user: string;
  current: string;
  /** A refresh with `current` was sent and not answered (the gateway may have rotated it). */
  inFlight: boolean;
}

export class Ledger {
  /** Session cookie (`name=value`) → its user, for every login answered 200. */
  readonly sessions = new Map<string, string>();
  /** Every access token received, with its user. */
  readonly accessTokens: { token: string; user: string }[] = [];
  readonly chains: Chain[] = [];
  /** Codes received and not (yet) redeemed with an answer. */
  readonly codes = new Set<HeldCode>();
  /** Refresh tokens rotated with an answer received: replaced by their successor, not checked. */
  rotated = 0;
  readonly done = Object.fromEntries(kinds.map((k) => [k, 0])) as Record<Kind, number>;
  readonly inFlight = Object.fromEntries(kinds.map((k) => [k, 0])) as Record<Kind, number>;
  /** Called whenever a request settles (the test's kill trigger). */
  onChange: () => void = () => undefined;
  /** The requests in flight when the gateway was killed. */
  atKill: Record<Kind, number> | undefined;

  /** Notes the kill: from now on a failed request is expected, not an error. */
  killed(): void {
    this.atKill = { ...this.inFlight };
  }

  /**
   * Runs `request` as one request of `kind`, counted in flight until it settles. `onChange` runs
   * when a request has settled: the others in flight then were sent earlier, most of them already
   * at the gateway.
   */
  async track<T>(kind: Kind, request: () => Promise<T>): Promise<T> {
    this.inFlight[kind]++;
    try {
      const result = await request();
      this.done[kind]++;
      return result;
    } finally {
      this.inFlight[kind]--;
      this.onChange();
    }
  }

  /** One line for the test's output. */
  summary(): string {
    const codes = [...this.codes];
    return [
      `answered ${kinds.map((k) => `${k} ${this.done[k]}`).join(', ')}`,
      `in flight at the kill ${kinds.map((k) => `${k} ${this.atKill?.[k] ?? '?'}`).join(', ')}`,
      `held: ${this.sessions.size} sessions, ${this.accessTokens.length} access tokens, ${this.chains.length} refresh chains ` +
        `(${this.chains.filter((c) => c.inFlight).length} with a refresh in flight; ${this.rotated} rotated tokens not checked), ` +
        `${codes.length} codes (${codes.filter((c) => c.inFlight).length} with an exchange in flight)`,
    ].join('; ');
  }
}
