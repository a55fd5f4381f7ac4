/** What a {@link SessionChanges} feed tells its listener. */
export interface SessionChangeListener {
  /** Another process changed or deleted these sessions (by ID hash). */
  changed(idHashes: readonly string[]): void;
  /** The feed (re)started: anything may have changed while it was not listening. */
  reset(): void;
}

/**
 * Changes other processes make to a shared session store, as they happen (Redis pub/sub).
 * A cache in front of the store serves from memory only while the feed is `live`, and drops
 * what the feed names: that is how a logout on one instance reaches the others.
 */
export interface SessionChanges {
  /** Whether every change is being received now; false while the subscription is down. */
  readonly live: boolean;
  /** Calls `listener` for every change; returns a function that stops it. */
  listen(listener: SessionChangeListener): () => void;
}
