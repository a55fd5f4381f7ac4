import type { FastifyBaseLogger } from 'fastify';
import { qrSvg } from '../auth/totp/qr.js';
import type { TotpService } from '../auth/totp/totp-service.js';
import type { OneTimeCodes } from '../auth/totp/one-time-codes.js';
import type { AttemptLimiter } from '../auth/regulation/attempt-limiter.js';
import type { Regulator } from '../auth/regulation/regulator.js';
import type { UserBackend } from '../auth/users/user.js';
import type { FileUserBackend } from '../auth/users/file-backend.js';
import type { LdapUserBackend } from '../auth/users/ldap-backend.js';
import { setUserDigest } from '../auth/users/users-file-writer.js';
import { passwordFingerprint } from '../auth/users/password-fingerprint.js';
import { hashWithConfig } from '../auth/password/configured-hash.js';
import { checkPasswordPolicy, describePasswordPolicy } from '../auth/password/policy.js';
import type { ResetTokens } from '../auth/password/reset-tokens.js';
import type { Config } from '../config/config.js';
import type { Notifier } from '../auth/notifier/notifier.js';
import type { PasswordResetPort, PasswordsPort, PolicyFor, PortalDeps, PreferencesPort, TotpPort, WebAuthnPort } from '../portal/deps.js';
import { WebAuthnCeremonies } from '../auth/webauthn/ceremonies.js';
import type { Random } from '../shared/random.js';
import type { UserPreferencesRepository, WebAuthnRepository } from '../storage/auth-repositories.js';
import { isRefusal, parseTarget } from '../rules/target.js';
import type { RuleSet } from '../rules/compile.js';
import type { SessionManager } from '../session/manager.js';
import type { Clock } from '../shared/clock.js';
import { ownPath } from '../shared/base-path.js';
import type { Observer } from '../shared/observe.js';
import type { ColumnCipher } from '../storage/storage.js';

/** The concrete services the portal is built from (constructed once in gateway.ts). */
export interface PortalServices {
  readonly config: Config;
  readonly sessions: SessionManager;
  readonly clock: Clock;
  readonly random: Random;
  readonly logger: FastifyBaseLogger;
  readonly users: UserBackend;
  readonly regulator: Regulator;
  readonly totp: TotpService;
  readonly totpLimiter: AttemptLimiter;
  readonly oneTimeCodes: OneTimeCodes;
  readonly notifier: Notifier | undefined;
  readonly rules: RuleSet;
  readonly cipher: ColumnCipher;
  readonly webauthn: WebAuthnRepository;
  readonly preferences: UserPreferencesRepository;
  /** The users file, for password resets; undefined without `authentication_backend`. */
  readonly fileBackend: FileUserBackend | undefined;
  /** The LDAP directory (`authentication_backend.ldap`), for password resets and changes through it; undefined otherwise. */
  readonly ldapBackend?: LdapUserBackend | undefined;
  readonly resetTokens: ResetTokens;
  /** Reset starts per IP and per typed login (each start counts). */
  readonly resetLimiters: { readonly ip: AttemptLimiter; readonly user: AttemptLimiter };
  readonly observer: Observer;
}

/** Adapts the services to what the portal asks for. */
export function portalDeps(s: PortalServices): PortalDeps {
  const totp: TotpPort = {
    has: async (username) => (await s.totp.info(username)) !== undefined,
    verify: (username, code) => s.totp.verify(username, code),
    createEnrollment: (username, choice) => (choice ? s.totp.createChosenEnrollment(username, choice) : s.totp.createEnrollment(username)),
    options: { algorithms: s.config.totp.allowedAlgorithms, digits: s.config.totp.allowedDigits, periods: s.config.totp.allowedPeriods },
    confirm: (enrollment, code) => s.totp.confirm(enrollment, code),
    qrSvg,
    attemptAllowed: (username) => s.totpLimiter.check(username).allowed,
    recordFailure: (username) => s.totpLimiter.fail(username),
    remove: (username) => s.totp.delete(username),
  };
  const webauthn: WebAuthnPort = {
    config: s.config.webauthn,
    ceremonies: new WebAuthnCeremonies({ config: s.config.webauthn, credentials: s.webauthn, clock: s.clock, random: s.random }),
    list: (username, rpId) => s.webauthn.list(username, rpId),
    rename: (username, credentialId, description) => s.webauthn.rename(username, credentialId, description),
    remove: (username, credentialId) => s.webauthn.delete(username, credentialId),
  };
  const preferences: PreferencesPort = {
    secondFactorMethod: async (username) => {
      const method = await s.preferences.secondFactorMethod(username);
      return method === 'totp' || method === 'webauthn' ? method : undefined;
    },
    setSecondFactorMethod: (username, method) => s.preferences.setSecondFactorMethod(username, method, s.clock.now()),
  };
  return {
    cookies: s.config.session.cookies,
    sessions: s.sessions,
    clock: s.clock,
    logger: s.logger,
    productName: s.config.portal.title,
    theme: s.config.portal.theme,
    basePath: s.config.server.path,
    cspTemplate: s.config.server.cspTemplate,
    nonce: () => s.random.bytes(16).toString('base64'),
    users: s.users,
    regulation: s.regulator,
    totp: s.config.totp.disable ? undefined : totp,
    webauthn: s.config.webauthn.disable ? undefined : webauthn,
    preferences,
    identityCheck: s.oneTimeCodes,
    elevation: s.config.identityValidation.elevatedSession,
    notifier: s.notifier,
    policyFor: policyFor(s.rules),
    seal: {
      seal: (plaintext, context) => s.cipher.encrypt(plaintext, context).toString('base64'),
      open: (sealed, context) => s.cipher.decrypt(Buffer.from(sealed, 'base64'), context).toString('utf8'),
    },
    formTargets: [...new Set((s.config.identityProviders.oidc?.clients ?? []).flatMap((c) => c.redirectUris.map((u) => new URL(u).origin)))],
    secondFactorUsed: s.rules.defaultPolicy === 'two_factor' || s.rules.rules.some((r) => r.policy === 'two_factor'),
    connectedApps: s.config.identityProviders.oidc !== undefined,
    observer: s.observer,
    passwordChange: passwordsPort(s) !== undefined && s.config.authenticationBackend?.passwordChange.disable !== true,
    ...passwordReset(s),
  };
}

/**
 * The "Forgot password?" link and flow from `authentication_backend.password_reset`: off when
 * disabled; a custom URL replaces the flow; without a notifier or users file there is no flow (nor link).
 */
function passwordReset(s: PortalServices): Pick<PortalDeps, 'resetPasswordLink' | 'passwordReset' | 'passwords'> {
  const passwords = passwordsPort(s);
  const settings = s.config.authenticationBackend?.passwordReset;
  if (!settings || settings.disable) return { resetPasswordLink: undefined, passwordReset: undefined, passwords };
  if (settings.customUrl) return { resetPasswordLink: settings.customUrl, passwordReset: undefined, passwords };
  if (!passwords || !s.notifier) return { resetPasswordLink: undefined, passwordReset: undefined, passwords };
  const port: PasswordResetPort = {
    lifespan: s.resetTokens.lifespan,
    mint: (username) => s.resetTokens.mint(username),
    store: (username, hash) => s.resetTokens.store(username, hash),
    peek: (token) => s.resetTokens.peek(token),
    consume: (token) => s.resetTokens.consume(token),
    user: (username) => s.users.get(username),
    allowStart: (ip, login) => {
      const { ip: perIp, user: perUser } = s.resetLimiters;
      if (!perIp.check(ip).allowed) return 'ip-limited';
      perIp.fail(ip);
      const allowed = perUser.check(login).allowed;
      perUser.fail(login);
      return allowed ? 'ok' : 'user-limited';
    },
  };
  return { resetPasswordLink: ownPath(s.config.server.path, '/reset-password'), passwordReset: port, passwords };
}

/**
 * Password writes go to the users file, or to the LDAP directory (Password Modify, RFC 3062);
 * without either (no backend, Active Directory) there are none.
 */
function passwordsPort(s: PortalServices): PasswordsPort | undefined {
  const file = s.config.authenticationBackend?.file;
  const backend = s.fileBackend;
  const ldap = s.ldapBackend;
  const policy = s.config.passwordPolicy;
  const checks = {
    policyReasons: async (password: string, inputs: readonly string[]) => {
      const result = await checkPasswordPolicy(policy, password, inputs);
      return result.ok ? [] : result.reasons;
    },
    policyText: describePasswordPolicy(policy),
  };
  // The directory keeps no digest Gatehouse sees: no fingerprint to hand to `beforeWrite`.
  if (ldap?.writesPasswords) return { ...checks, setPassword: (username, password) => ldap.setPassword(username, password) };
  if (!backend || !file) return undefined;
  return {
    ...checks,
    setPassword: async (username, password, beforeWrite) => {
      const digest = await hashWithConfig(password, file.password);
      await beforeWrite?.(passwordFingerprint(digest));
      await setUserDigest(file.path, username, digest);
      // The new digest is in force at once, watched file or not.
      await backend.reload();
    },
  };
}

/** The policy the access-control rules give a target for a user; an unparseable target is denied. */
function policyFor(rules: RuleSet): PolicyFor {
  return (target, method, user) => {
    const parsed = parseTarget(target.href, method.toUpperCase());
    if (isRefusal(parsed)) return 'deny';
    return rules.decide({ username: user.username, groups: user.groups, ip: user.ip, clientId: '' }, parsed).policy;
  };
}
