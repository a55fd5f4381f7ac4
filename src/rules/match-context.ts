import ipaddr from 'ipaddr.js';
import { type Subject, isAnonymous } from './subject.js';
import type { Target } from './target.js';

/** One decision's inputs, with what is derived from them computed at most once. */
export class MatchContext {
  readonly anonymous: boolean;
  readonly username: string;
  readonly groups: readonly string[];
  #address: ipaddr.IPv4 | ipaddr.IPv6 | null | undefined;

  constructor(
    readonly subject: Subject,
    readonly target: Target,
  ) {
    this.anonymous = isAnonymous(subject);
    this.username = subject.username.toLowerCase();
    this.groups = subject.groups.map((g) => g.toLowerCase());
  }

  /** The subject's address (IPv4-mapped IPv6 as IPv4); `null` when absent or invalid. */
  address(): ipaddr.IPv4 | ipaddr.IPv6 | null {
    if (this.#address === undefined) {
      const ip = this.subject.ip;
      this.#address = ip !== undefined && ipaddr.isValid(ip) ? ipaddr.process(ip) : null;
    }
    return this.#address;
  }

  /** Whether `name` is one of the subject's groups, ignoring case. */
  inGroupFold(name: string): boolean {
    return this.groups.includes(name.toLowerCase());
  }
}
