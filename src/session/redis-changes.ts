import type { Redis } from 'ioredis';
import type { SessionChangeListener, SessionChanges } from './session-changes.js';

/**
 * The change feed of a RedisSessionStore: a subscription to its channel on a connection of
 * its own. It is `live` from the moment the subscription is confirmed — at start and after
 * every reconnection, each followed by a `reset` (messages sent while away are lost) — until
 * either connection drops. Changes published by `origin` (this process's store) are skipped.
 */
export class RedisSessionChanges implements SessionChanges {
  readonly #subscriber: Redis;
  readonly #commands: Redis;
  readonly #channel: string;
  readonly #origin: string;
  readonly #listeners = new Set<SessionChangeListener>();
  #subscribed = false;

  constructor(options: { subscriber: Redis; commands: Redis; channel: string; origin: string }) {
    this.#subscriber = options.subscriber;
    this.#commands = options.commands;
    this.#channel = options.channel;
    this.#origin = options.origin;
    this.#subscriber.on('message', (channel: string, message: string) => {
      if (channel === this.#channel) this.#received(message);
    });
    this.#subscriber.on('close', () => this.#down());
    this.#subscriber.on('ready', () => void this.#subscribe().catch(() => this.#down()));
  }

  /** Subscribes now (the subscriber connection is ready); resolves once Redis confirmed it. */
  async start(): Promise<void> {
    await this.#subscribe();
  }

  get live(): boolean {
    return this.#subscribed && this.#subscriber.status === 'ready' && this.#commands.status === 'ready';
  }

  listen(listener: SessionChangeListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async #subscribe(): Promise<void> {
    if (this.#subscribed) return;
    await this.#subscriber.subscribe(this.#channel);
    this.#subscribed = true;
    for (const listener of this.#listeners) listener.reset();
  }

  #down(): void {
    this.#subscribed = false;
  }

  #received(message: string): void {
    const [origin, ...hashes] = message.split(' ');
    if (origin === this.#origin || hashes.length === 0) return;
    for (const listener of this.#listeners) listener.changed(hashes);
  }
}
