import util from 'node:util';

/**
 * http-proxy 1.18 takes `util._extend` when it loads and calls it for every proxied request.
 * Node.js 22 and later deprecate that function at runtime (DEP0060): the first proxied request
 * printed a DeprecationWarning to the gateway's stderr, and a Node.js without it would break the
 * proxy. This module, loaded before http-proxy (upstream-proxy.ts imports it first), puts the same
 * copy in its place: the own enumerable properties of `source` onto `target`, `target` returned.
 */
const legacy = util as unknown as { _extend: (target: object, source: unknown) => object };
legacy._extend = (target, source) => (source !== null && typeof source === 'object' ? Object.assign(target, source) : target);
