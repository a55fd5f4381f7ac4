import type { ReadContext } from './reader.js';

/**
 * An Authelia option Gatehouse does not implement, in the one grammar every such option uses:
 * `<path>: is an Authelia option that Gatehouse does not support yet (<what>)`; with `harmless`
 * (its value asks for nothing) a warning. The same text as reader.ts's `unsupportedAuthelia`,
 * which the OpenID Connect readers use through this module until that helper is committed.
 */
export function unsupportedAuthelia(ctx: ReadContext, path: string, what: string, harmless = false): void {
  const message = `is an Authelia option that Gatehouse does not support yet (${what})`;
  if (harmless) ctx.problems.warn(path, `${message}; its value here asks for nothing, so it is ignored`);
  else ctx.problems.error(path, message);
}
