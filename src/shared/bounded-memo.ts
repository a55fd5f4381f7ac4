/**
 * A function's answers kept for the inputs that repeat on the hot path (peer addresses, `Host`
 * values, session IDs): at most `max` entries, all dropped at once when a new one would pass
 * the bound, so a flood of distinct inputs costs one recomputation each and never grows memory.
 * `fn` must be pure, and its answers immutable (they are shared by every caller).
 */
export interface BoundedMemo<K, V> {
  (key: K): V;
  /** Entries held now (never more than `max`). */
  readonly size: number;
}

export function boundedMemo<K, V>(max: number, fn: (key: K) => V): BoundedMemo<K, V> {
  if (!(max >= 1)) throw new RangeError(`boundedMemo: max must be at least 1 (is ${max})`);
  const entries = new Map<K, V>();
  const memo = (key: K): V => {
    const known = entries.get(key);
    if (known !== undefined || entries.has(key)) return known as V;
    const value = fn(key);
    if (entries.size >= max) entries.clear();
    entries.set(key, value);
    return value;
  };
  Object.defineProperty(memo, 'size', { get: () => entries.size });
  return memo as BoundedMemo<K, V>;
}
