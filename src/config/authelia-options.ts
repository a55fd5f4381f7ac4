/**
 * Authelia's configuration keys that Gatehouse does not implement yet, each with what it is for,
 * so that a file written for Authelia is refused in one grammar —
 * `duo_api: is an Authelia option that Gatehouse does not support yet (Duo push)` — instead of
 * "is not a known key" or a suggestion pointing at a different key. A value that would change
 * nothing (`access_token_signed_response_alg: none`, `client_certificates: []`) is accepted with a
 * warning. test/config/authelia-keys.test.ts holds every key Authelia documents to this: read, or
 * named here.
 *
 * Paths are generic: `[]` stands for any list entry, `*` for a name the user chooses; an entry also
 * covers every key under it.
 */
export interface AutheliaOption {
  /** What the option does in Authelia, in a few words: the reason a user reads. */
  readonly what: string;
  /** Whether `value` asks for nothing (the feature off, an empty list): accepted with a warning. */
  readonly noop?: (value: unknown) => boolean;
}

const off = (value: unknown): boolean => value === false || value === null;
const none = (value: unknown): boolean => value === 'none' || value === '' || value === null;
const empty = (value: unknown): boolean => value === null || (Array.isArray(value) && value.length === 0);

const jwe = 'encrypted (JWE) responses';
const par = 'pushed authorization requests (RFC 9126)';

const options: Readonly<Record<string, AutheliaOption>> = {
  duo_api: { what: 'Duo push', noop: (v) => typeof v === 'object' && v !== null && (v as Record<string, unknown>).disable === true },
  privacy_policy: {
    what: 'a privacy policy link and its acceptance on the portal',
    noop: (v) => typeof v === 'object' && v !== null && !(v as Record<string, unknown>).enabled,
  },
  default_2fa_method: { what: 'a default second-factor method for users who have not chosen one', noop: (v) => v === '' || v === null },
  'definitions.user_attributes': { what: 'user attributes computed with expressions', noop: empty },
  'authentication_backend.file.extra_attributes': { what: 'extra user attributes in the users file', noop: empty },
  'storage.postgres.servers': { what: 'PostgreSQL fail-over servers', noop: empty },
  'storage.postgres.ssl': { what: "the PostgreSQL 'ssl' keys Authelia replaced with storage.postgres.tls" },
  'notifier.template_path': { what: 'custom e-mail templates', noop: (v) => v === '' || v === null },
  'server.asset_path': { what: 'a folder of custom portal assets (logo, favicon, translations)', noop: (v) => v === '' || v === null },
  'server.tls.client_certificates': { what: 'mutual TLS: client certificates on the portal', noop: empty },
  'identity_providers.oidc.authorization_policies': { what: 'custom authorization policies for clients; use one_factor or two_factor', noop: empty },
  'identity_providers.oidc.scopes': { what: 'custom scopes and their claims', noop: empty },
  'identity_providers.oidc.claims_policies.*.custom_claims': { what: 'custom claims from user attributes', noop: empty },
  'identity_providers.oidc.lifespans.jwt_secured_authorization': { what: 'JWT-secured authorization responses (JARM)' },
  'identity_providers.oidc.require_pushed_authorization_requests': { what: par, noop: off },
  'identity_providers.oidc.enable_jwt_access_token_stateless_introspection': { what: 'introspecting JWT access tokens without the store', noop: off },
  'identity_providers.oidc.discovery_signed_response_alg': { what: 'signed discovery metadata', noop: none },
  'identity_providers.oidc.discovery_signed_response_key_id': { what: 'signed discovery metadata', noop: none },
  // RS256 is Authelia's default and example value; it matters only with the `*.jwt` response modes, which are refused.
  'identity_providers.oidc.clients[].authorization_signed_response_alg': {
    what: 'JWT-secured authorization responses (JARM)',
    noop: (v) => none(v) || v === 'RS256',
  },
  'identity_providers.oidc.clients[].authorization_signed_response_key_id': { what: 'JWT-secured authorization responses (JARM)', noop: none },
  'identity_providers.oidc.clients[].introspection_signed_response_alg': { what: 'signed introspection responses (RFC 9701)', noop: none },
  'identity_providers.oidc.clients[].introspection_signed_response_key_id': { what: 'signed introspection responses (RFC 9701)', noop: none },
  'identity_providers.oidc.clients[].access_token_encrypted_response_alg': { what: jwe, noop: none },
  'identity_providers.oidc.clients[].access_token_encrypted_response_enc': { what: jwe, noop: none },
  'identity_providers.oidc.clients[].access_token_encrypted_response_key_id': { what: jwe, noop: none },
  'identity_providers.oidc.clients[].authorization_encrypted_response_alg': { what: jwe, noop: none },
  'identity_providers.oidc.clients[].authorization_encrypted_response_enc': { what: jwe, noop: none },
  'identity_providers.oidc.clients[].authorization_encrypted_response_key_id': { what: jwe, noop: none },
  'identity_providers.oidc.clients[].id_token_encrypted_response_alg': { what: jwe, noop: none },
  'identity_providers.oidc.clients[].id_token_encrypted_response_enc': { what: jwe, noop: none },
  'identity_providers.oidc.clients[].id_token_encrypted_response_key_id': { what: jwe, noop: none },
  'identity_providers.oidc.clients[].introspection_encrypted_response_alg': { what: jwe, noop: none },
  'identity_providers.oidc.clients[].introspection_encrypted_response_enc': { what: jwe, noop: none },
  'identity_providers.oidc.clients[].introspection_encrypted_response_key_id': { what: jwe, noop: none },
  'identity_providers.oidc.clients[].userinfo_encrypted_response_alg': { what: jwe, noop: none },
  'identity_providers.oidc.clients[].userinfo_encrypted_response_enc': { what: jwe, noop: none },
  'identity_providers.oidc.clients[].userinfo_encrypted_response_key_id': { what: jwe, noop: none },
  'identity_providers.oidc.clients[].request_object_encryption_alg': { what: 'encrypted request objects', noop: none },
  'identity_providers.oidc.clients[].request_object_encryption_enc': { what: 'encrypted request objects', noop: none },
  'identity_providers.oidc.clients[].request_uris': { what: 'request objects passed by reference (request_uri)', noop: empty },
  'identity_providers.oidc.clients[].require_pushed_authorization_requests': { what: par, noop: off },
  'identity_providers.oidc.clients[].pushed_authorization_request_endpoint_auth_method': { what: par, noop: none },
  'identity_providers.oidc.clients[].pushed_authorization_request_endpoint_auth_signing_alg': { what: par, noop: none },
  'identity_providers.oidc.clients[].allow_multiple_auth_methods': { what: 'several authentication methods for one client', noop: off },
};

const compiled = Object.entries(options).map(([pattern, option]) => ({
  pattern,
  option,
  regex: new RegExp(`^${pattern.replace(/[.]/g, '\\.').replace(/\[\]/g, '\\[\\d+\\]').replace(/\*/g, '[^.\\[]+')}(?:$|[.[])`),
}));

/** The Authelia option a configuration path (`a.b[0].c`) falls under, if Gatehouse lacks it. */
export function autheliaOption(path: string): AutheliaOption | undefined {
  return compiled.find((entry) => entry.regex.test(path))?.option;
}

/** Every generic path named here (for the test that holds the list to Authelia's keys). */
export const autheliaOptionPaths: readonly string[] = Object.keys(options);
