/** `unknown` when `L` names every member of `T`, else an object type naming the members left out. */
type EveryMember<T, L extends readonly unknown[]> = [Exclude<T, L[number]>] extends [never] ? unknown : { readonly unlisted: Exclude<T, L[number]> };

/**
 * Returns `list` unchanged once the compiler has checked that it names every member of the
 * union `T` and nothing else. For a value list kept in a lower layer than its type (config/
 * validates the rule engine's policy names): the list and the type cannot drift apart.
 * @example const policies = everyMember<Policy>()(['bypass', 'one_factor', 'two_factor', 'deny']);
 */
export function everyMember<T>(): <const L extends readonly T[]>(list: L & EveryMember<T, L>) => L {
  return (list) => list;
}
