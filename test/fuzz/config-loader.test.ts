/**
 * Fuzzer: the configuration loader (config/load.ts) never crashes. For random documents (JSON
 * trees, trees shaped like a configuration) and for mutations of config.example.yml (keys
 * deleted, added, renamed; values of other types, odd durations, huge and non-finite numbers,
 * Unicode, long strings; lists and mappings swapped; secrets from the environment), and for
 * mutations of its YAML text, `parseConfig` / `loadConfig` either accept the document (deep-frozen)
 * or throw ConfigError whose problems are non-empty strings, at least one naming the key (or
 * the file position) at fault, none showing `[object Object]`; never a TypeError or any other
 * exception. A load costs milliseconds (the demo reads its rules files, the fuller document parses
 * keys): a long run (`FUZZ_RUNS`) gives these properties a half, a fifth and a tenth of its count.
 */
import { generateKeyPairSync } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import yaml from 'js-yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, parseConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/shared/errors.js';
import { fuzzParameters, fuzzTimeout } from './runs.js';

/**
 * A configuration that sets most sections the demo leaves out (Redis, PostgreSQL, SMTP, OpenID
 * Connect clients, claims policies, lifespans, CORS, WebAuthn, the proxy), valid as it is and with
 * `jwks` of generated keys added: mutations of it reach the readers the demo does not use. (No
 * `rules_files`: the demo's mutations read those, and they cost most of a load.)
 */
const extendedText = `
server:
  address: tcp://127.0.0.1:9091
  trusted_proxies: [127.0.0.0/8, '::1/128']
  timeouts: {read: 6s, write: 6s, idle: 30s}
  max_connections: 100
  password_hashing: {concurrency: 2, queue: 10}
log: {level: debug, format: json, file_path: ./data/gatehouse.log}
session:
  secret: a-session-secret-0123456789-abcdef
  name: gh_session
  same_site: strict
  expiration: 1h
  inactivity: 5m
  remember_me: -1
  cache_size: 100
  cookies:
    - {domain: example.com, authelia_url: 'https://auth.example.com', default_redirection_url: 'https://app.example.com'}
    - {domain: example.org, portal_url: 'https://login.example.org', name: other_session, same_site: lax, expiration: 2h, inactivity: 10m, remember_me: 1w}
  redis:
    host: 127.0.0.1
    port: 6379
    timeout: 5s
    maximum_active_connections: 8
    minimum_idle_connections: 1
    database_index: 2
    high_availability: {sentinel_name: main, nodes: [{host: 10.0.0.2, port: 26379}], route_by_latency: true}
storage:
  encryption_key: a-storage-key-0123456789-abcdef
  postgres:
    address: tcp://127.0.0.1:5432
    database: gatehouse
    username: gatehouse
    password: secret
    tls: {server_name: db.example.com, skip_verify: false, minimum_version: TLS1.2}
authentication_backend:
  refresh_interval: 5m
  password_reset: {disable: false}
  password_change: {disable: true}
  file:
    path: ./examples/demo/users.yml
    watch: false
    search: {email: true, case_insensitive: true}
    password: {algorithm: argon2, argon2: {variant: argon2id, iterations: 3, memory: 65536, parallelism: 4, key_length: 32, salt_length: 16}}
definitions:
  network:
    lan: [10.0.0.0/8, 'fd00::/8']
access_control:
  default_policy: deny
  networks: [{name: office, networks: [192.168.0.0/16]}]
  rules:
    - domain: auth.example.com
      policy: bypass
    - domain: ['*.example.com', '{user}.example.org']
      domain_regex: ['^(?P<User>\\w+)\\.example\\.com$']
      resources: ['^/api([/?].*)?$']
      methods: [GET, POST]
      networks: [lan, office, 172.16.0.1]
      subject: [['group:dev', 'user:john'], 'oauth2:client:robot']
      query: [[{key: a, value: b}, {operator: present, key: c}], [{operator: pattern, key: d, value: '^x'}]]
      policy: two_factor
totp: {issuer: Example, algorithm: SHA256, digits: 8, period: 60, skew: 0, secret_size: 40}
webauthn:
  display_name: Example
  enable_passkey_login: true
  attestation_conveyance_preference: indirect
  timeout: 60s
  selection_criteria: {attachment: cross-platform, discoverability: required, user_verification: required}
identity_validation: {reset_password: {jwt_lifespan: 5m}}
regulation: {modes: [user, ip], max_retries: 5, find_time: 10m, ban_time: 1h}
password_policy: {zxcvbn: {enabled: true, min_score: 3}}
notifier:
  smtp:
    address: submission://mail.example.com:587
    username: mailer
    password: secret
    sender: 'Example <auth@example.com>'
    tls: {server_name: mail.example.com, skip_verify: false, minimum_version: TLS1.2}
portal: {title: Example sign-in}
theme: dark
identity_providers:
  oidc:
    hmac_secret: an-oidc-hmac-secret-0123456789-abc
    enforce_pkce: always
    lifespans: {access_token: 1h, authorize_code: 1m, id_token: 1h, refresh_token: 90m, custom: {long: {access_token: 2h, grants: {client_credentials: {access_token: 10m}}}}}
    cors: {endpoints: [token, userinfo], allowed_origins: ['https://app.example.com'], allowed_origins_from_client_redirect_uris: true}
    claims_policies: {mail: {id_token: [email, groups], id_token_audience_mode: specification}}
    clients:
      - client_id: app
        client_name: App
        client_secret: '$pbkdf2-sha512$310000$c8p78n7pUMln0jzvd4aK4Q$JNRBzwAo0ek5qKn50cFzzvE9RXV88h1wJn5KGiHrD0YKtZaR/nCb2CJPOsKaPK0hjf.9yHxzQGZziziccp6Yng'
        public: false
        authorization_policy: one_factor
        consent_mode: pre-configured
        pre_configured_consent_duration: 1w
        redirect_uris: ['https://app.example.com/cb']
        post_logout_redirect_uris: ['https://app.example.com/bye']
        backchannel_logout_uri: 'https://app.example.com/bc'
        scopes: [openid, profile, email, groups, offline_access]
        grant_types: [authorization_code, refresh_token]
        response_types: [code]
        token_endpoint_auth_method: client_secret_basic
        require_pkce: true
        claims_policy: mail
        lifespan: long
      - client_id: robot
        client_secret: robot-secret-0123456789
        grant_types: [client_credentials]
        scopes: [authelia.bearer.authz]
        audience: ['https://api.example.com']
        redirect_uris: []
      - client_id: prometheus
        client_secret: prometheus-secret-0123456789
        redirect_uris: ['https://metrics.example.com/cb']
      - client_id: spa
        public: true
        redirect_uris: ['https://spa.example.com/cb', 'http://localhost:3000/cb']
        token_endpoint_auth_method: none
proxy:
  upstreams:
    - {domain: app.example.com, target: 'http://127.0.0.1:8080', path_prefix: /x/, preserve_host: true, websocket: true, timeout: 60s}
    - {domain: app.example.com, target: 'http://127.0.0.1:8081'}
`;

/** A copy of what config.example.yml refers to (rules files, the users file), so that nothing reads the working tree. */
let dir = '';
let exampleText = '';
let example: Record<string, unknown> = {};
let extended: Record<string, unknown> = {};
/** `extended` with `identity_providers.oidc.jwks` (an RSA and an EC key): parsing the keys costs most of its load. */
let extendedWithKeys: Record<string, unknown> = {};

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'gatehouse-fuzz-config-'));
  cpSync('config.example.yml', join(dir, 'config.yml'));
  cpSync('rules', join(dir, 'rules'), { recursive: true });
  cpSync('examples/demo', join(dir, 'examples/demo'), { recursive: true });
  exampleText = readFileSync(join(dir, 'config.yml'), 'utf8');
  example = yaml.load(exampleText, { schema: yaml.CORE_SCHEMA }) as Record<string, unknown>;
  extended = yaml.load(extendedText, { schema: yaml.CORE_SCHEMA }) as Record<string, unknown>;
  const pem = (type: 'rsa' | 'ec') =>
    generateKeyPairSync(type as 'rsa', type === 'rsa' ? { modulusLength: 2048 } : ({ namedCurve: 'P-256' } as never)).privateKey.export({
      type: 'pkcs8',
      format: 'pem',
    });
  extendedWithKeys = structuredClone(extended);
  const oidc = (extendedWithKeys.identity_providers as { oidc: Record<string, unknown> }).oidc;
  oidc.jwks = [
    { key_id: 'main', algorithm: 'RS256', use: 'sig', key: pem('rsa') },
    { key_id: 'ec', algorithm: 'ES256', key: pem('ec') },
  ];
  // Every base is valid: mutations start from an accepted document.
  for (const doc of [example, extended, extendedWithKeys]) parseConfig(doc, { env: {}, baseDir: dir });
});

afterAll(() => {
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
});

/** Top-level sections a problem may name although the document lacks them (a required key). */
const sectionNames = [
  'server',
  'log',
  'session',
  'storage',
  'definitions',
  'access_control',
  'authentication_backend',
  'totp',
  'webauthn',
  'identity_validation',
  'regulation',
  'password_policy',
  'notifier',
  'portal',
  'theme',
  'identity_providers',
  'proxy',
];

/**
 * Whether a problem names where it is: a key path without spaces (`session.cookies[0].domain: …`,
 * `session.secret (from GATEHOUSE_SESSION_SECRET): …`, a policy file's `rules/x.yml:rules[2]…`,
 * a file position `…/config.yml:3:7: YAML syntax error…`), a path starting with one of the
 * document's top-level keys as written (which may hold spaces), or the document as a whole.
 */
function namesItsPlace(problem: string, document: unknown): boolean {
  const keys = document !== null && typeof document === 'object' && !Array.isArray(document) ? Object.keys(document) : [];
  return (
    /^\S+?(?: \(from [A-Z0-9_]+\))?: \S/.test(problem) ||
    [...keys, ...sectionNames].some(
      (key) => key !== '' && (problem.startsWith(`${key}: `) || problem.startsWith(`${key}.`) || problem.startsWith(`${key}[`)),
    ) ||
    problem === 'the configuration file must hold a mapping of sections at its top level' ||
    problem.startsWith('cannot read the configuration file')
  );
}

interface Tally {
  accepted: number;
  refused: number;
}

/** Runs the loader; fails the property on anything but acceptance or a well-formed ConfigError. */
function outcome(load: () => unknown, document: unknown, tally: Tally, shown: () => string): void {
  let loaded: unknown;
  try {
    loaded = load();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw new Error(`${shown()}\nthrew ${String((error as Error)?.stack ?? error)}`);
    const problems = error.problems;
    expect(problems.length, shown()).toBeGreaterThan(0);
    for (const problem of problems) {
      expect(typeof problem).toBe('string');
      expect(problem.trim(), shown()).not.toBe('');
      // A value printed with String() (js-yaml itself names a mapping used as a key so: then the key is that text).
      if (!JSON.stringify(document ?? null).includes('[object Object]')) expect(problem, shown()).not.toContain('[object Object]');
    }
    expect(
      problems.some((p) => namesItsPlace(p, document)),
      `${shown()}\nno problem names its key:\n${problems.join('\n')}`,
    ).toBe(true);
    tally.refused++;
    return;
  }
  const { config, warnings } = loaded as { config: object; warnings: readonly string[] };
  expect(Object.isFrozen(config)).toBe(true);
  for (const warning of warnings) expect(typeof warning).toBe('string');
  tally.accepted++;
}

/** Strange values for any key. */
const oddNumber = fc.constantFrom(
  0,
  -0,
  -1,
  1.5,
  2 ** 53 + 1,
  1e308,
  -1e308,
  Number.MAX_SAFE_INTEGER,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
  65536,
  99999999999,
);
const oddDuration = fc.constantFrom(
  '1x',
  '-5m',
  '5 minutes',
  '1 hour',
  '1h30m',
  '99999999999y',
  '1e309s',
  '0s',
  ' 5m',
  '5M',
  '1.5h',
  '',
  's',
  '-1',
  '1w2d',
  '9007199254740993s',
  '٣m',
);
const oddString = fc.oneof(
  fc.string({ maxLength: 20 }),
  fc.string({ unit: 'grapheme', maxLength: 12 }),
  fc.constantFrom(
    '',
    ' ',
    'a'.repeat(5000),
    '\u0000',
    '$HOME',
    '../../etc/passwd',
    '/dev/null',
    'C:\\x',
    'http://',
    'https://[::1',
    'tcp://:99999',
    'unix://',
    '*',
    '[::1]:80',
    'true',
    'null',
  ),
);
const oddValue: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: oddNumber, weight: 2 },
  { arbitrary: oddDuration, weight: 2 },
  { arbitrary: oddString, weight: 3 },
  { arbitrary: fc.boolean(), weight: 1 },
  { arbitrary: fc.constant(null), weight: 1 },
  { arbitrary: fc.jsonValue({ maxDepth: 2 }), weight: 2 },
  { arbitrary: fc.array(oddString, { maxLength: 3 }), weight: 1 },
  { arbitrary: fc.dictionary(oddString, oddString, { maxKeys: 3 }), weight: 1 },
);

type Path = readonly (string | number)[];

/** Every path in a document, containers and leaves. */
function pathsOf(value: unknown, at: Path = []): Path[] {
  const out: Path[] = [at];
  if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) out.push(...pathsOf(v, [...at, i]));
  } else if (value !== null && typeof value === 'object') for (const [k, v] of Object.entries(value)) out.push(...pathsOf(v, [...at, k]));
  return out;
}

function parentOf(doc: unknown, path: Path): unknown {
  let node = doc;
  for (const key of path.slice(0, -1)) node = (node as Record<string | number, unknown>)[key];
  return node;
}

/** One change to a document (a deep copy is changed in place). */
type Mutation =
  | { kind: 'delete'; at: number }
  | { kind: 'replace'; at: number; value: unknown }
  | { kind: 'wrap'; at: number; inList: boolean }
  | { kind: 'add'; at: number; key: string; value: unknown }
  | { kind: 'rename'; at: number; to: string }
  | { kind: 'duplicate'; at: number };

const knownKeys = [
  ...new Set(
    [
      yaml.load(readFileSync('config.example.yml', 'utf8'), { schema: yaml.CORE_SCHEMA }),
      yaml.load(extendedText, { schema: yaml.CORE_SCHEMA }),
      { jwks: [{ key_id: '', algorithm: '', use: '', key: '' }] },
    ].flatMap((doc) => pathsOf(doc).flatMap((p) => p.filter((k): k is string => typeof k === 'string'))),
  ),
];
const addedKey = fc.oneof(
  fc.constantFrom(...knownKeys),
  fc.constantFrom(
    'adress',
    'authelia_url',
    'portal_url',
    'jwt_secret',
    'ntp',
    'telemetry',
    'rules_files',
    'constructor',
    '__proto__',
    'toString',
    'redis',
    'postgres',
    'tls',
    'password',
  ),
  fc.string({ maxLength: 10 }),
);

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('replace' as const), at: fc.nat(), value: oddValue }),
  fc.record({ kind: fc.constant('wrap' as const), at: fc.nat(), inList: fc.boolean() }),
  fc.record({ kind: fc.constant('add' as const), at: fc.nat(), key: addedKey, value: oddValue }),
  fc.record({ kind: fc.constant('rename' as const), at: fc.nat(), to: fc.constantFrom(...knownKeys) }),
  fc.record({ kind: fc.constant('duplicate' as const), at: fc.nat() }),
);

function mutate(doc: unknown, m: Mutation): void {
  const paths = pathsOf(doc).filter((p) => p.length > 0);
  if (paths.length === 0) return;
  const path = paths[m.at % paths.length]!;
  const key = path[path.length - 1]!;
  const parent = parentOf(doc, path) as Record<string | number, unknown> & unknown[];
  switch (m.kind) {
    case 'delete':
      if (Array.isArray(parent)) parent.splice(key as number, 1);
      else delete parent[key];
      return;
    case 'replace':
      parent[key] = structuredClone(m.value);
      return;
    case 'wrap':
      parent[key] = m.inList ? [parent[key]] : { [typeof key === 'string' ? key : 'value']: parent[key] };
      return;
    case 'add': {
      const target = parent[key];
      if (target !== null && typeof target === 'object' && !Array.isArray(target)) {
        // A key named __proto__ must be an own key, as YAML and JSON parsers make it.
        Object.defineProperty(target, m.key, { value: structuredClone(m.value), enumerable: true, configurable: true, writable: true });
      }
      return;
    }
    case 'rename':
      if (!Array.isArray(parent) && typeof key === 'string' && key !== m.to) {
        parent[m.to] = parent[key];
        delete parent[key];
      }
      return;
    case 'duplicate':
      if (Array.isArray(parent)) parent.splice(key as number, 0, structuredClone(parent[key as number]));
      return;
  }
}

/** Secrets and their `_FILE` forms from the environment, some conflicting with the file. */
const environment = fc.dictionary(
  fc.constantFrom(
    'GATEHOUSE_SESSION_SECRET',
    'GATEHOUSE_SESSION_SECRET_FILE',
    'GATEHOUSE_STORAGE_ENCRYPTION_KEY',
    'GATEHOUSE_STORAGE_ENCRYPTION_KEY_FILE',
    'GATEHOUSE_IDENTITY_PROVIDERS_OIDC_HMAC_SECRET',
    'GATEHOUSE_SESSION_REDIS_PASSWORD',
    'AUTHELIA_SESSION_SECRET',
  ),
  fc.oneof(oddString, fc.constantFrom('/nonexistent/secret', 'config.yml', 'rules', 'a-long-enough-secret-0123456789')),
  { maxKeys: 2 },
);

describe('fuzz: the configuration loader accepts a document or refuses it with messages, never crashes', () => {
  it(
    'random JSON trees, and trees with the sections of a configuration',
    () => {
      const tally: Tally = { accepted: 0, refused: 0 };
      const section = fc.constantFrom(...Object.keys(example), 'theme', 'portal', 'proxy', 'telemetry', 'ntp');
      const shaped = fc.dictionary(
        section,
        fc.oneof(fc.dictionary(fc.oneof(fc.constantFrom(...knownKeys), fc.string({ maxLength: 8 })), oddValue, { maxKeys: 5 }), oddValue),
        { maxKeys: 6 },
      );
      fc.assert(
        fc.property(fc.oneof(fc.jsonValue(), fc.object(), shaped), environment, (doc, env) => {
          outcome(
            () => parseConfig(doc, { env, baseDir: dir }),
            doc,
            tally,
            () => JSON.stringify({ doc, env }).slice(0, 2000),
          );
        }),
        fuzzParameters(1500, 0.5),
      );
      expect(tally.refused).toBeGreaterThan(0);
    },
    fuzzTimeout(),
  );

  it(
    'mutations of config.example.yml: keys deleted, added or renamed, values of other types and odd values',
    () => {
      const tally: Tally = { accepted: 0, refused: 0 };
      fc.assert(
        fc.property(
          fc.constantFrom('config.example.yml', 'config.example.yml', 'extended', 'extended', 'extended with jwks'),
          fc.array(mutation, { minLength: 1, maxLength: 4 }),
          environment,
          (base, mutations, env) => {
            const doc = structuredClone(base === 'config.example.yml' ? example : base === 'extended' ? extended : extendedWithKeys);
            for (const m of mutations) mutate(doc, m);
            outcome(
              () => parseConfig(doc, { env, baseDir: dir }),
              doc,
              tally,
              () => JSON.stringify({ base, mutations, env }).slice(0, 2000),
            );
          },
        ),
        fuzzParameters(1200, 0.2),
      );
      // Some mutations are harmless (an optional key deleted): both outcomes were seen.
      expect(tally.accepted).toBeGreaterThan(0);
      expect(tally.refused).toBeGreaterThan(0);
    },
    fuzzTimeout(),
  );

  it(
    'mutations of the YAML text, through loadConfig',
    () => {
      const tally: Tally = { accepted: 0, refused: 0 };
      const file = join(dir, 'mutated.yml');
      const edit = fc.oneof(
        fc.record({ kind: fc.constant('delete line' as const), at: fc.nat() }),
        fc.record({ kind: fc.constant('duplicate line' as const), at: fc.nat() }),
        fc.record({ kind: fc.constant('indent' as const), at: fc.nat(), by: fc.constantFrom(-4, -2, -1, 1, 2, 4) }),
        fc.record({
          kind: fc.constant('insert' as const),
          at: fc.nat(),
          text: fc.oneof(
            fc.string({ maxLength: 4 }),
            fc.constantFrom(':', '- ', '\t', '"', "'", '&a ', '*a', '!!binary ', '<<: *a', '? ', '|', '>-', '#', '%YAML 1.1', '\n---\n', '{', '[[[[[[[['),
          ),
        }),
        fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
      );
      fc.assert(
        fc.property(fc.array(edit, { minLength: 1, maxLength: 3 }), (edits) => {
          let text = exampleText;
          for (const e of edits) {
            const lines = text.split('\n');
            const line = e.at % lines.length;
            switch (e.kind) {
              case 'delete line':
                lines.splice(line, 1);
                break;
              case 'duplicate line':
                lines.splice(line, 0, lines[line]!);
                break;
              case 'indent':
                lines[line] = e.by > 0 ? ' '.repeat(e.by) + lines[line] : lines[line]!.replace(new RegExp(`^ {0,${-e.by}}`), '');
                break;
              case 'insert': {
                const at = e.at % (text.length + 1);
                text = text.slice(0, at) + e.text + text.slice(at);
                continue;
              }
              case 'truncate':
                text = text.slice(0, e.at % (text.length + 1));
                continue;
            }
            text = lines.join('\n');
          }
          writeFileSync(file, text);
          let document: unknown;
          try {
            document = yaml.load(text, { schema: yaml.CORE_SCHEMA });
          } catch {
            document = undefined;
          }
          outcome(
            () => loadConfig(file, {}),
            document,
            tally,
            () => JSON.stringify(edits),
          );
        }),
        fuzzParameters(800, 0.1),
      );
      expect(tally.accepted).toBeGreaterThan(0);
      expect(tally.refused).toBeGreaterThan(0);
    },
    fuzzTimeout(),
  );
});
