import { describe, keyPath } from './problems.js';
import { type ReadContext, readList, readMapping } from './reader.js';
import { readCidr } from './server.js';

/** Named networks: name → CIDRs (single addresses are stored as /32 or /128). */
export type NamedNetworks = ReadonlyMap<string, readonly string[]>;

export interface DefinitionsConfig {
  /** `definitions.network`, merged with Authelia's legacy `access_control.networks`. */
  readonly network: Readonly<Record<string, readonly string[]>>;
}

/**
 * Reads `definitions`: `network: {NAME: [CIDR, …]}`. Returns the named networks found;
 * `access_control.networks` (legacy form) is merged in by the access-control reader.
 */
export function readDefinitions(ctx: ReadContext, value: unknown): Map<string, readonly string[]> {
  const path = 'definitions';
  const raw = readMapping(ctx, path, value, ['network', 'user_attributes']) ?? {};
  if (raw.user_attributes !== undefined) {
    ctx.problems.error(keyPath(path, 'user_attributes'), 'is not supported by this version of Gatehouse');
  }
  const networksAt = keyPath(path, 'network');
  const out = new Map<string, readonly string[]>();
  const networks = raw.network;
  if (networks === undefined || networks === null) return out;
  if (typeof networks !== 'object' || Array.isArray(networks)) {
    ctx.problems.error(networksAt, `must be a mapping of names to lists of CIDRs but is ${describe(networks)}`);
    return out;
  }
  for (const [name, cidrs] of Object.entries(networks)) {
    const at = keyPath(networksAt, name);
    const list = Array.isArray(cidrs) || cidrs === undefined || cidrs === null ? cidrs : [cidrs];
    const read = readList(ctx, at, list, (entry, entryAt) => readCidr(ctx, entryAt, entry));
    if (read.length === 0 && (!Array.isArray(list) || list.length === 0)) {
      ctx.problems.error(at, 'must list at least one CIDR but is empty');
    }
    out.set(name, read);
  }
  return out;
}

/** Reads Authelia's legacy `access_control.networks: [{name, networks: [CIDR…]}]` into `into`. */
export function readLegacyNetworks(ctx: ReadContext, path: string, value: unknown, into: Map<string, readonly string[]>): void {
  readList(ctx, path, value, (entry, at) => {
    const raw = readMapping(ctx, at, entry, ['name', 'networks']);
    if (!raw) return undefined;
    const name = typeof raw.name === 'string' && raw.name.trim() !== '' ? raw.name : undefined;
    if (name === undefined) ctx.problems.error(keyPath(at, 'name'), 'must be set but is absent');
    const list = Array.isArray(raw.networks) || raw.networks === undefined ? raw.networks : [raw.networks];
    const cidrs = readList(ctx, keyPath(at, 'networks'), list, (cidr, cidrAt) => readCidr(ctx, cidrAt, cidr));
    if (name === undefined) return undefined;
    if (into.has(name)) {
      ctx.problems.error(keyPath(at, 'name'), `must not repeat a network name already defined but is '${name}'`);
      return undefined;
    }
    into.set(name, cidrs);
    return undefined;
  });
}
