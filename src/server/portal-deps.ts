import type { FastifyBaseLogger } from 'fastify';
import { qrSvg } from '../auth/totp/qr.js';
import type { TotpService } from '../auth/totp/totp-service.js';
import type { OneTimeCodes } from '../auth/totp/one-time-codes.js';
import type { AttemptLimiter } from '../auth/regulation/attempt-limiter.js';
import type { Regulator } from '../auth/regulation/regulator.js';
import type { UserBackend } from '../auth/users/user.js';
import type { Config } from '../config/config.js';
import type { Notifier } from '../auth/notifier/notifier.js';
import type { PolicyFor, PortalDeps, TotpPort } from '../portal/deps.js';
import { isRefusal, parseTarget } from '../rules/target.js';
import type { RuleSet } from '../rules/compile.js';
import type { SessionManager } from '../session/manager.js';
import type { Clock } from '../shared/clock.js';
import type { ColumnCipher } from '../storage/storage.js';

/** The concrete services the portal is built from (constructed once in gateway.ts). */
export interface PortalServices {
  readonly config: Config;
  readonly sessions: SessionManager;
  readonly clock: Clock;
  readonly logger: FastifyBaseLogger;
  readonly users: UserBackend;
  readonly regulator: Regulator;
  readonly totp: TotpService;
  readonly totpLimiter: AttemptLimiter;
  readonly oneTimeCodes: OneTimeCodes;
  readonly notifier: Notifier | undefined;
  readonly rules: RuleSet;
  readonly cipher: ColumnCipher;
}

/** Adapts the services to what the portal asks for. */
export function portalDeps(s: PortalServices): PortalDeps {
  const totp: TotpPort = {
    has: async (username) => (await s.totp.info(username)) !== undefined,
    verify: (username, code) => s.totp.verify(username, code),
    createEnrollment: (username) => s.totp.createEnrollment(username),
    confirm: (enrollment, code) => s.totp.confirm(enrollment, code),
    qrSvg,
    attemptAllowed: (username) => s.totpLimiter.check(username).allowed,
    recordFailure: (username) => s.totpLimiter.fail(username),
  };
  return {
    cookies: s.config.session.cookies,
    sessions: s.sessions,
    clock: s.clock,
    logger: s.logger,
    productName: s.config.portal.title,
    theme: s.config.portal.theme,
    users: s.users,
    regulation: s.regulator,
    totp: s.config.totp.disable ? undefined : totp,
    identityCheck: s.oneTimeCodes,
    notifier: s.notifier,
    policyFor: policyFor(s.rules),
    seal: {
      seal: (plaintext, context) => s.cipher.encrypt(plaintext, context).toString('base64'),
      open: (sealed, context) => s.cipher.decrypt(Buffer.from(sealed, 'base64'), context).toString('utf8'),
    },
    formTargets: [...new Set((s.config.identityProviders.oidc?.clients ?? []).flatMap((c) => c.redirectUris.map((u) => new URL(u).origin)))],
    secondFactorUsed: s.rules.defaultPolicy === 'two_factor' || s.rules.rules.some((r) => r.policy === 'two_factor'),
    connectedApps: s.config.identityProviders.oidc !== undefined,
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
