/**
 * The forward-auth endpoints of `server.endpoints.authz`, built once at start-up into the table
 * the listener consults for every request (authz/http.ts, server/listener.ts).
 *
 * Enforces (Authelia's routing, `internal/server/handlers.go`):
 * - `ForwardAuth` and `AuthRequest` answer `GET|HEAD /api/authz/<name>` only;
 * - `ExtAuthz` answers any method at `/api/authz/<name>` and below (the rest is the target path);
 * - `Legacy` answers any method at its path (`/api/verify` for the name `legacy`);
 * - paths match byte for byte (a percent-encoded spelling is not one of them); anything else
 *   is left to the framework, which answers 404.
 */
import { type AuthzEndpointConfig, type AuthzImplementation, defaultAuthzEndpoints } from '../config/server-endpoints.js';
import { authRequest } from './auth-request.js';
import { type QueryReader, splitTarget } from './endpoint.js';
import { extAuthz } from './ext-authz.js';
import { forwardAuth } from './forward-auth.js';
import { legacyVerify } from './legacy.js';
import type { Flavour } from './respond.js';
import { type CredentialReader, credentialReader } from './strategies.js';

/** One endpoint: its name, how it answers (`flavour`), and how it reads a request. */
export interface AuthzEndpoint {
  readonly name: string;
  readonly flavour: Flavour;
  /** Reads the target, method and portal as the implementation says. */
  readonly read: QueryReader;
  /** Reads the credentials as the strategies say. */
  readonly credentials: CredentialReader;
  /** Whether any method is answered (else GET and HEAD only). */
  readonly anyMethod: boolean;
}

const flavours: Readonly<Record<AuthzImplementation, Flavour>> = {
  ForwardAuth: 'forward-auth',
  AuthRequest: 'auth-request',
  ExtAuthz: 'ext-authz',
  Legacy: 'legacy',
};

/** The lookup from a request's method and target to its endpoint. */
export class AuthzEndpointTable {
  readonly #exact = new Map<string, AuthzEndpoint>();
  /** `ExtAuthz` endpoints by path, which also answer below it (`<path>/…`). */
  readonly #prefixes: (readonly [prefix: string, endpoint: AuthzEndpoint])[] = [];

  constructor(configs: readonly AuthzEndpointConfig[]) {
    for (const config of configs) {
      const endpoint = build(config);
      this.#exact.set(config.path, endpoint);
      if (config.implementation === 'ExtAuthz') this.#prefixes.push([`${config.path}/`, endpoint]);
    }
  }

  /** The endpoint a request is for, or undefined (then the framework answers, 404 included). */
  match(method: string | undefined, target: string | undefined): AuthzEndpoint | undefined {
    if (target === undefined || !target.startsWith('/api/')) return undefined;
    const { path } = splitTarget(target);
    const endpoint = this.#exact.get(path) ?? this.#below(path);
    if (endpoint === undefined) return undefined;
    return endpoint.anyMethod || method === 'GET' || method === 'HEAD' ? endpoint : undefined;
  }

  #below(path: string): AuthzEndpoint | undefined {
    for (const [prefix, endpoint] of this.#prefixes) if (path.startsWith(prefix)) return endpoint;
    return undefined;
  }
}

function build(config: AuthzEndpointConfig): AuthzEndpoint {
  const { implementation } = config;
  return {
    name: config.name,
    flavour: flavours[implementation],
    read: readerOf(implementation, config.path),
    credentials: credentialReader(config.strategies),
    anyMethod: implementation === 'ExtAuthz' || implementation === 'Legacy',
  };
}

function readerOf(implementation: AuthzImplementation, path: string): QueryReader {
  switch (implementation) {
    case 'ForwardAuth':
      return forwardAuth;
    case 'AuthRequest':
      return authRequest;
    case 'ExtAuthz':
      return extAuthz(path);
    case 'Legacy':
      return legacyVerify;
  }
}

/** The table of Authelia's four default endpoints (`server.endpoints.authz` absent). */
export const defaultEndpointTable = new AuthzEndpointTable(defaultAuthzEndpoints);
