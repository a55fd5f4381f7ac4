import { type ReadContext, unsupportedAuthelia } from './reader.js';

/**
 * Authelia's former key names, read under their current names as Authelia itself does (its
 * configuration deprecations): a file written for an older Authelia loads, with one warning per
 * key saying what to write instead. The old and the new name both set is an error naming both.
 * Applied to the raw document before any section is read, so every reader sees one value.
 */
type Raw = Record<string, unknown>;

/** Old path → new path (`[]`: every entry of a list). */
const renamed: readonly (readonly [string, string])[] = [
  ['logs_level', 'log.level'],
  ['logs_file', 'log.file_path'],
  ['log_level', 'log.level'],
  ['log_file_path', 'log.file_path'],
  ['log_format', 'log.format'],
  ['tls_key', 'server.tls.key'],
  ['tls_cert', 'server.tls.certificate'],
  ['jwt_secret', 'identity_validation.reset_password.jwt_secret'],
  ['authentication_backend.disable_reset_password', 'authentication_backend.password_reset.disable'],
  ['authentication_backend.ldap.url', 'authentication_backend.ldap.address'],
  ['authentication_backend.ldap.skip_verify', 'authentication_backend.ldap.tls.skip_verify'],
  ['authentication_backend.ldap.minimum_tls_version', 'authentication_backend.ldap.tls.minimum_version'],
  ['authentication_backend.ldap.username_attribute', 'authentication_backend.ldap.attributes.username'],
  ['authentication_backend.ldap.mail_attribute', 'authentication_backend.ldap.attributes.mail'],
  ['authentication_backend.ldap.display_name_attribute', 'authentication_backend.ldap.attributes.display_name'],
  ['authentication_backend.ldap.group_name_attribute', 'authentication_backend.ldap.attributes.group_name'],
  ['authentication_backend.file.password.iterations', 'authentication_backend.file.password.argon2.iterations'],
  ['authentication_backend.file.password.memory', 'authentication_backend.file.password.argon2.memory'],
  ['authentication_backend.file.password.parallelism', 'authentication_backend.file.password.argon2.parallelism'],
  ['authentication_backend.file.password.key_length', 'authentication_backend.file.password.argon2.key_length'],
  ['authentication_backend.file.password.salt_length', 'authentication_backend.file.password.argon2.salt_length'],
  ['notifier.smtp.disable_verify_cert', 'notifier.smtp.tls.skip_verify'],
  ['server.read_buffer_size', 'server.buffers.read'],
  ['server.write_buffer_size', 'server.buffers.write'],
  ['server.enable_pprof', 'server.endpoints.enable_pprof'],
  ['server.enable_expvars', 'server.endpoints.enable_expvars'],
  ['session.remember_me_duration', 'session.remember_me'],
  ['webauthn.user_verification', 'webauthn.selection_criteria.user_verification'],
  ['identity_providers.oidc.access_token_lifespan', 'identity_providers.oidc.lifespans.access_token'],
  ['identity_providers.oidc.authorize_code_lifespan', 'identity_providers.oidc.lifespans.authorize_code'],
  ['identity_providers.oidc.id_token_lifespan', 'identity_providers.oidc.lifespans.id_token'],
  ['identity_providers.oidc.refresh_token_lifespan', 'identity_providers.oidc.lifespans.refresh_token'],
  ['identity_providers.oidc.clients[].sector_identifier', 'identity_providers.oidc.clients[].sector_identifier_uri'],
  ['identity_providers.oidc.clients[].userinfo_signing_algorithm', 'identity_providers.oidc.clients[].userinfo_signed_response_alg'],
  ['identity_providers.oidc.clients[].id_token_signing_alg', 'identity_providers.oidc.clients[].id_token_signed_response_alg'],
];

/** `host` and `port` (and for the server `path`) folded into one `address` URL. */
const addresses: readonly { readonly at: string; readonly scheme: string; readonly defaultPort: number; readonly path?: boolean }[] = [
  { at: 'server', scheme: 'tcp', defaultPort: 9091, path: true },
  { at: 'notifier.smtp', scheme: 'smtp', defaultPort: 25 },
  { at: 'storage.postgres', scheme: 'tcp', defaultPort: 5432 },
  { at: 'storage.mysql', scheme: 'tcp', defaultPort: 3306 },
];

const isRecord = (value: unknown): value is Raw => typeof value === 'object' && value !== null && !Array.isArray(value);

/** A copy of `document` with Authelia's former names moved to their current ones. */
export function mapFormerNames(ctx: ReadContext, document: unknown): unknown {
  if (!isRecord(document)) return document;
  const out = structuredClone(document);
  moveTopLevel(ctx, out);
  for (const [from, to] of renamed) rename(ctx, out, from, to);
  for (const spec of addresses) foldAddress(ctx, out, spec);
  foldIssuerKey(ctx, out);
  spreadDefaultRedirection(ctx, out);
  return out;
}

/** Top-level `default_redirection_url` (before 4.38) → each cookie domain's that has none of its own. */
function spreadDefaultRedirection(ctx: ReadContext, doc: Raw): void {
  if (!('default_redirection_url' in doc)) return;
  const url = doc.default_redirection_url;
  delete doc.default_redirection_url;
  const cookies = resolve(doc, 'session')?.cookies;
  const entries = Array.isArray(cookies) ? cookies.filter(isRecord) : [];
  for (const cookie of entries)
    if (cookie.default_redirection_url === undefined || cookie.default_redirection_url === null) cookie.default_redirection_url = url;
  ctx.problems.warn(
    'default_redirection_url',
    `is Authelia's former place for session.cookies[].default_redirection_url and is read as that of ${entries.length === 1 ? 'the cookie domain' : 'each cookie domain'} without its own; write it there instead`,
  );
}

/** Authelia's top-level `host`/`port` (before 4.30) become `server.host`/`server.port`, folded below. */
function moveTopLevel(ctx: ReadContext, doc: Raw): void {
  for (const key of ['host', 'port']) {
    if (!(key in doc)) continue;
    if (doc.server === undefined || doc.server === null) doc.server = {};
    const server = doc.server;
    if (isRecord(server) && !(key in server)) server[key] = doc[key];
    else ctx.problems.error(key, `is Authelia's former name for 'server.${key}'; set only one of them`);
    delete doc[key];
  }
}

/** Moves the value at `from` to `to` (dotted; `[]`: every entry of a list, in the part both share). */
function rename(ctx: ReadContext, doc: Raw, from: string, to: string): void {
  const a = from.split('.');
  const b = to.split('.');
  let common = 0;
  while (common < a.length - 1 && common < b.length - 1 && a[common] === b[common]) common++;
  for (const { node, shown } of nodesAt(doc, a.slice(0, common), '')) move(ctx, node, a.slice(common), b.slice(common), shown);
}

const join = (parent: string, child: string): string => (parent === '' ? child : `${parent}.${child}`);

/** The mappings at `path` under `node` (a `name[]` step goes into every entry of that list), with their dotted paths. */
function* nodesAt(node: unknown, path: readonly string[], shown: string): Generator<{ node: Raw; shown: string }> {
  if (!isRecord(node)) return;
  const [head, ...rest] = path;
  if (head === undefined) {
    yield { node, shown };
    return;
  }
  const key = head.endsWith('[]') ? head.slice(0, -2) : head;
  const child = node[key];
  if (!head.endsWith('[]')) {
    yield* nodesAt(child, rest, join(shown, key));
    return;
  }
  if (Array.isArray(child)) for (const [i, entry] of child.entries()) yield* nodesAt(entry, rest, `${join(shown, key)}[${i}]`);
}

function move(ctx: ReadContext, node: Raw, from: readonly string[], to: readonly string[], shown: string): void {
  let parent: unknown = node;
  for (const part of from.slice(0, -1)) parent = isRecord(parent) ? parent[part] : undefined;
  const last = from.at(-1);
  if (!isRecord(parent) || last === undefined || !(last in parent)) return;
  const value = parent[last];
  delete parent[last];
  const old = join(shown, from.join('.'));
  const target = join(shown, to.join('.'));
  if (!place(node, to, value)) {
    ctx.problems.error(old, `is Authelia's former name for '${target}'; set only one of them`);
    return;
  }
  ctx.problems.warn(old, `is Authelia's former name for '${target}' and is read as it; write '${target}' instead`);
}

/** Sets `path` under `node` to `value`, creating mappings on the way; false when something is already there. */
function place(node: Raw, path: readonly string[], value: unknown): boolean {
  let at: Raw = node;
  for (const [i, part] of path.entries()) {
    if (i === path.length - 1) {
      if (at[part] !== undefined && at[part] !== null) return false;
      at[part] = value;
      return true;
    }
    const next = at[part];
    if (next === undefined || next === null) at[part] = {};
    else if (!isRecord(next)) return false;
    at = at[part] as Raw;
  }
  return false;
}

function resolve(doc: Raw, dotted: string): Raw | undefined {
  let at: unknown = doc;
  for (const part of dotted.split('.')) at = isRecord(at) ? at[part] : undefined;
  return isRecord(at) ? at : undefined;
}

/** `host: h` + `port: p` (+ `path: x`) → `address: scheme://h:p[/x]`, as Authelia 4.38 folds them. */
function foldAddress(ctx: ReadContext, doc: Raw, spec: (typeof addresses)[number]): void {
  const node = resolve(doc, spec.at);
  if (node === undefined || (node.host === undefined && node.port === undefined)) return;
  const shown = spec.path ? `${spec.at}.host, ${spec.at}.port` : `${spec.at}.host and ${spec.at}.port`;
  if (node.address !== undefined && node.address !== null) {
    ctx.problems.error(`${spec.at}.host`, `is Authelia's former way to write '${spec.at}.address'; set only one of them`);
    delete node.host;
    delete node.port;
    return;
  }
  const host = node.host ?? '';
  const port = node.port ?? spec.defaultPort;
  if (typeof host !== 'string' || !(typeof port === 'number' || (typeof port === 'string' && /^\d+$/.test(port)))) {
    ctx.problems.error(
      `${spec.at}.port`,
      `must be a port number (with ${spec.at}.host, Authelia's former way to write ${spec.at}.address) but is ${String(port)}`,
    );
    return;
  }
  const bracketed = host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '' : host;
  const address = `${spec.scheme}://${bracketed}:${port}`;
  node.address = address;
  delete node.host;
  delete node.port;
  ctx.problems.warn(`${spec.at}.host`, `${shown} are Authelia's former way to write ${spec.at}.address and are read as '${address}'; write that instead`);
}

/** `identity_providers.oidc.issuer_private_key` (+ `issuer_certificate_chain`) → one `jwks` entry. */
function foldIssuerKey(ctx: ReadContext, doc: Raw): void {
  const oidc = resolve(doc, 'identity_providers.oidc');
  if (oidc === undefined || oidc.issuer_private_key === undefined) {
    if (oidc?.issuer_certificate_chain !== undefined) {
      unsupportedAuthelia(ctx, 'identity_providers.oidc.issuer_certificate_chain', 'a certificate chain without issuer_private_key; use jwks');
      delete oidc.issuer_certificate_chain;
    }
    return;
  }
  const at = 'identity_providers.oidc.issuer_private_key';
  if (oidc.jwks !== undefined && oidc.jwks !== null) {
    ctx.problems.error(at, "is Authelia's former way to write 'identity_providers.oidc.jwks'; set only one of them");
  } else {
    const entry: Raw = { key: oidc.issuer_private_key };
    if (oidc.issuer_certificate_chain !== undefined) entry.certificate_chain = oidc.issuer_certificate_chain;
    oidc.jwks = [entry];
    ctx.problems.warn(at, "is Authelia's former way to write 'identity_providers.oidc.jwks' and is read as its one key; write jwks: [{ key: … }] instead");
  }
  delete oidc.issuer_private_key;
  delete oidc.issuer_certificate_chain;
}
