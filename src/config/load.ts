import { dirname, resolve } from 'node:path';
import { deepFreeze } from '../shared/deep-freeze.js';
import { ConfigError } from '../shared/errors.js';
import { readAccessControl } from './access-control.js';
import { mapFormerNames } from './authelia-former-names.js';
import { readAuthenticationBackend } from './authentication-backend.js';
import { readCertificatesDirectory, trustedAuthorities } from './certificates.js';
import type { Config } from './config.js';
import { readDefinitions } from './definitions.js';
import { ConfigEnvironment } from './environment.js';
import { readIdentityValidation } from './identity-validation.js';
import { readLog } from './log.js';
import { readNotifier } from './notifier.js';
import { readNtp } from './ntp.js';
import { readIdentityProviders } from './oidc.js';
import { readPasswordPolicy } from './password-policy.js';
import { readPortal } from './portal.js';
import { readProxy } from './proxy.js';
import { Problems } from './problems.js';
import { type ReadContext, readMapping } from './reader.js';
import { readRegulation } from './regulation.js';
import { readServer } from './server.js';
import { readSession } from './session.js';
import { configFilters, originOf, readConfigSources, splitConfigPaths } from './sources.js';
import { readStorage } from './storage.js';
import { readTelemetry } from './telemetry.js';
import { readTotp } from './totp.js';
import { readWebAuthn } from './webauthn.js';

/** Sections that later versions validate; accepted now and kept raw so that a file written for them loads. */
const pendingSections = [] as const;
const sections = [
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
  'telemetry',
  'ntp',
  'certificates_directory',
  ...pendingSections,
] as const;

export interface LoadedConfig {
  readonly config: Config;
  readonly warnings: readonly string[];
}

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Reads, validates and freezes the configuration: one file, or several files and folders (`a.yml,b.yml`
 * as Authelia accepts) merged in order, then the environment's `GATEHOUSE_*`/`AUTHELIA_*` keys.
 * `filters` default to `X_AUTHELIA_CONFIG_FILTERS` (or `GATEHOUSE_CONFIG_FILTERS`).
 * @throws ConfigError listing every problem (file unreadable, YAML syntax, wrong keys or values); with several
 * files, each problem names the file that set the key.
 */
export function loadConfig(files: string | readonly string[], env: Env = process.env, options: { filters?: readonly string[] } = {}): LoadedConfig {
  const paths = splitConfigPaths(typeof files === 'string' ? [files] : files);
  const sources = readConfigSources(paths, options.filters ?? configFilters(env), env);
  const baseDir = dirname(resolve(sources.files[0] ?? paths[0] ?? '.'));
  return parseConfig(sources.document, { env, baseDir, ...(sources.files.length > 1 ? { origins: sources.origins } : {}) });
}

/**
 * Validates an already-parsed configuration document.
 * @throws ConfigError listing every problem.
 */
export function parseConfig(raw: unknown, options: { env: Env; baseDir: string; origins?: ReadonlyMap<string, string> }): LoadedConfig {
  const problems = new Problems();
  const { origins } = options;
  const environment = new ConfigEnvironment(options.env, problems);
  const baseDirOf = origins && ((path: string) => ((file) => file && dirname(resolve(file)))(originOf(origins, path)));
  const base: ReadContext = { problems, env: options.env, baseDir: options.baseDir, environment, ...(baseDirOf ? { baseDirOf } : {}) };
  const document = mapFormerNames(base, raw === undefined || raw === null ? {} : raw);
  const top = readMapping(base, '', document, sections);
  if (!top) throw new ConfigError(['the configuration file must hold a mapping of sections at its top level']);
  // Read first: every outgoing `tls` trusts its certificate authorities.
  const certificates = readCertificatesDirectory(base, top.certificates_directory);
  const ctx: ReadContext = { ...base, trustedAuthorities: trustedAuthorities(certificates) };
  const networks = readDefinitions(ctx, top.definitions);
  const oidc = readIdentityProviders(ctx, top.identity_providers);
  // `oauth2:client:` subjects must name a configured client once the provider is configured.
  const clientIds = oidc ? new Set(oidc.clients.map((c) => c.id)) : undefined;
  const accessControl = readAccessControl(ctx, top.access_control, networks, clientIds ? { clientIds } : {});
  // Read in this order so that problems are reported section by section, as the file is laid out.
  const server = readServer(ctx, top.server);
  const log = readLog(ctx, top.log);
  const session = readSession(ctx, top.session);
  const config: Config = {
    server,
    log,
    session,
    storage: readStorage(ctx, top.storage),
    definitions: { network: Object.fromEntries(networks) },
    accessControl,
    authenticationBackend: readAuthenticationBackend(ctx, top.authentication_backend),
    totp: readTotp(ctx, top.totp),
    webauthn: readWebAuthn(ctx, top.webauthn),
    identityValidation: readIdentityValidation(ctx, top.identity_validation),
    regulation: readRegulation(ctx, top.regulation),
    passwordPolicy: readPasswordPolicy(ctx, top.password_policy),
    notifier: readNotifier(ctx, top.notifier),
    portal: readPortal(ctx, top.portal, top.theme),
    identityProviders: { oidc },
    proxy: readProxy(ctx, top.proxy, session.cookies),
    telemetry: readTelemetry(ctx, top.telemetry),
    ntp: readNtp(ctx, top.ntp),
    certificates,
    pending: Object.fromEntries(pendingSections.filter((s) => top[s] !== undefined).map((s) => [s, top[s]])),
  };
  for (const section of Object.keys(config.pending)) {
    problems.warn(section, 'is not implemented by this version of Gatehouse yet and is ignored');
  }
  reportUnusedVariables(ctx, environment);
  const named = (list: readonly string[]) => (origins ? list.map((p) => nameFile(p, origins)) : list);
  if (problems.errors.length > 0) throw new ConfigError(named(problems.errors));
  return { config: deepFreeze(config) as Config, warnings: named(problems.warnings) };
}

/**
 * A variable with a configuration prefix that set nothing: `AUTHELIA_*` is refused, as Authelia refuses it
 * (a typo would otherwise pass unseen); `GATEHOUSE_*` is a warning, as Gatehouse ignored such names before.
 */
function reportUnusedVariables(ctx: ReadContext, environment: ConfigEnvironment): void {
  for (const name of environment.unused()) {
    const message = `${name}: names no configuration key that Gatehouse reads`;
    if (name.startsWith('AUTHELIA_')) ctx.problems.error('', message);
    else ctx.problems.warn('', message);
  }
}

/** `path: message` → `FILE: path: message`, naming the file that set the key (several files only). */
function nameFile(problem: string, origins: ReadonlyMap<string, string>): string {
  const path = problem.split(': ', 1)[0] ?? '';
  const file = originOf(origins, path.replace(/ \(from .*\)$/, ''));
  return file === undefined ? problem : `${file}: ${problem}`;
}
