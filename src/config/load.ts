import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import yaml from 'js-yaml';
import { deepFreeze } from '../shared/deep-freeze.js';
import { ConfigError } from '../shared/errors.js';
import { readAccessControl } from './access-control.js';
import { readAuthenticationBackend } from './authentication-backend.js';
import type { Config } from './config.js';
import { readDefinitions } from './definitions.js';
import { readIdentityValidation } from './identity-validation.js';
import { readLog } from './log.js';
import { readNotifier } from './notifier.js';
import { readIdentityProviders } from './oidc.js';
import { readPasswordPolicy } from './password-policy.js';
import { readPortal } from './portal.js';
import { readProxy } from './proxy.js';
import { Problems } from './problems.js';
import { type ReadContext, fsReason, readMapping } from './reader.js';
import { readRegulation } from './regulation.js';
import { readServer } from './server.js';
import { readSession } from './session.js';
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
  ...pendingSections,
] as const;

/** Authelia keys with no Gatehouse equivalent yet: named as such instead of "unknown". */
const autheliaOnly = ['duo_api', 'ntp', 'privacy_policy', 'certificates_directory', 'default_2fa_method', 'jwt_secret', 'default_redirection_url'];

export interface LoadedConfig {
  readonly config: Config;
  readonly warnings: readonly string[];
}

/**
 * Reads, validates and freezes the configuration file at `file`.
 * @throws ConfigError listing every problem (file unreadable, YAML syntax, wrong keys or values).
 */
export function loadConfig(file: string, env: Readonly<Record<string, string | undefined>> = process.env): LoadedConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError([`cannot read the configuration file '${file}': ${fsReason(error)}`]);
  }
  let raw: unknown;
  try {
    raw = yaml.load(text, { filename: file, schema: yaml.CORE_SCHEMA });
  } catch (error) {
    if (error instanceof yaml.YAMLException) {
      const { line, column } = error.mark ?? { line: 0, column: 0 };
      throw new ConfigError([`${file}:${line + 1}:${column + 1}: YAML syntax error: ${error.reason}`]);
    }
    throw error;
  }
  return parseConfig(raw, { env, baseDir: dirname(resolve(file)) });
}

/**
 * Validates an already-parsed configuration document.
 * @throws ConfigError listing every problem.
 */
export function parseConfig(raw: unknown, options: { env: Readonly<Record<string, string | undefined>>; baseDir: string }): LoadedConfig {
  const problems = new Problems();
  const ctx: ReadContext = { problems, env: options.env, baseDir: options.baseDir };
  const document = raw === undefined || raw === null ? {} : raw;
  const top = readMapping(ctx, '', stripAutheliaOnly(ctx, document), sections);
  if (!top) throw new ConfigError(['the configuration file must hold a mapping of sections at its top level']);
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
    pending: Object.fromEntries(pendingSections.filter((s) => top[s] !== undefined).map((s) => [s, top[s]])),
  };
  for (const section of Object.keys(config.pending)) {
    problems.warn(section, 'is not implemented by this version of Gatehouse yet and is ignored');
  }
  if (problems.errors.length > 0) throw new ConfigError(problems.errors);
  return { config: deepFreeze(config) as Config, warnings: problems.warnings };
}

function stripAutheliaOnly(ctx: ReadContext, document: unknown): unknown {
  if (typeof document !== 'object' || document === null || Array.isArray(document)) return document;
  const rest: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(document)) {
    if (autheliaOnly.includes(key)) ctx.problems.error(key, 'is an Authelia option that Gatehouse does not support');
    else rest[key] = value;
  }
  return rest;
}
