/**
 * The house rules of ARCHITECTURE.md as dependency-cruiser rules (`npm run lint:deps`).
 *
 * Dependencies point one way:
 *   shared ← config ← rules, storage ← auth, session ← authz, proxy, portal, oidc ← server ← cli
 * Domain folders never import fastify or http-proxy; proxy/ reuses authz/evaluate.ts, never the
 * forward-auth HTTP code. Type-only imports may cross any boundary (one domain type per concept,
 * imported where it is used) except out of shared/, which imports nothing from src/ (its own
 * files aside); no cycle may exist, type imports included.
 */

/** A folder of src/ and the folders it may import at run time (besides itself). */
const layers = {
  shared: [],
  config: ['shared'],
  rules: ['shared', 'config'],
  storage: ['shared', 'config'],
  auth: ['shared', 'config', 'rules', 'storage'],
  session: ['shared', 'config', 'rules', 'storage'],
  authz: ['shared', 'config', 'rules', 'storage', 'auth', 'session'],
  proxy: ['shared', 'config', 'rules', 'session', 'authz'],
  portal: ['shared', 'config', 'rules', 'storage', 'auth', 'session'],
  oidc: ['shared', 'config', 'rules', 'storage', 'auth', 'session'],
  server: ['shared', 'config', 'rules', 'storage', 'auth', 'session', 'authz', 'proxy', 'portal', 'oidc'],
  cli: ['shared', 'config', 'rules', 'storage', 'auth', 'session', 'server'],
};

const folders = Object.keys(layers);
const domain = ['shared', 'config', 'rules', 'storage', 'auth', 'session'];

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    ...folders.map((folder) => ({
      name: `layer-${folder}`,
      comment:
        folder === 'shared'
          ? 'src/shared/ imports nothing else in src/, not even types (ARCHITECTURE.md: "imports nothing from src/")'
          : `src/${folder}/ may import at run time only ${layers[folder].join(', ')} (ARCHITECTURE.md, "Dependencies point one way")`,
      severity: 'error',
      from: { path: `^src/${folder}/` },
      to: {
        path: `^src/(?!(?:${[folder, ...layers[folder]].join('|')})/)[^/]+/`,
        ...(folder === 'shared' ? {} : { dependencyTypesNot: ['type-only'] }),
      },
    })),
    {
      name: 'no-root-modules-from-areas',
      comment: 'src/main.ts is the entry point: nothing imports it',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^src/main\\.ts$' },
    },
    {
      name: 'domain-without-http-framework',
      comment: 'domain folders never import fastify or http-proxy (HTTP areas hold them)',
      severity: 'error',
      from: { path: `^src/(?:${domain.join('|')})/` },
      to: {
        path: '(?:^|/)node_modules/(?:fastify|@fastify/(?!proxy-addr)|http-proxy)',
        dependencyTypesNot: ['type-only'],
      },
    },
    {
      name: 'proxy-reuses-evaluation-only',
      comment: 'proxy/ reuses authz/evaluate.ts and the HTTP-free helpers beside it (identity headers, Basic credentials), never the forward-auth HTTP code',
      severity: 'error',
      from: { path: '^src/proxy/' },
      to: { path: '^src/authz/(?!(?:evaluate|identity-headers|basic-strategy)\\.ts$)' },
    },
    {
      name: 'no-circular',
      comment: 'no import cycles, type-only imports included',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'not-to-test',
      comment: 'src/ never imports test code',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^test/' },
    },
    {
      name: 'not-to-dev-dependency',
      comment: 'src/ only imports what is installed in production (dependencies, not devDependencies)',
      severity: 'error',
      from: { path: '^src/' },
      to: { dependencyTypes: ['npm-dev'], dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'no-unresolvable',
      comment: 'every import resolves',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.js', '.mjs', '.cjs', '.d.ts'],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
