import type { Config } from './config.js';
import { defaults } from './defaults.js';

/**
 * What a configuration written for Authelia does differently in Gatehouse although it loads: one
 * line per difference, naming the key that restores Authelia's behaviour where one exists
 * (`gatehouse validate-config --from-authelia`). docs/migrating-from-authelia.md lists them all.
 */
export function autheliaDifferences(config: Config): string[] {
  const out: string[] = [];
  for (const [i, cookie] of config.session.cookies.entries()) {
    if (cookie.name === defaults.session.name) {
      out.push(
        `session.cookies[${i}].name: the session cookie is called '${defaults.session.name}' (Authelia: 'authelia_session'); set session.name: authelia_session to keep Authelia's name`,
      );
    }
  }
  if (config.totp.issuer === defaults.totp.issuer) {
    out.push("totp.issuer: authenticator apps show new enrolments as 'Gatehouse' (Authelia: 'Authelia'); set totp.issuer: Authelia to keep Authelia's label");
  }
  if (config.webauthn.displayName === 'Gatehouse') {
    out.push(
      "webauthn.display_name: browsers show 'Gatehouse' when a key is used (Authelia: 'Authelia'); set webauthn.display_name: Authelia to keep Authelia's",
    );
  }
  if (config.notifier?.kind === 'smtp' && config.notifier.smtp.subject.startsWith('[Gatehouse]')) {
    out.push("notifier.smtp.subject: e-mails are titled '[Gatehouse] {title}' (Authelia: '[Authelia] {title}'); set notifier.smtp.subject to keep Authelia's");
  }
  if (config.server.buffers.read === 16_384) {
    out.push(
      "server.buffers.read: a request head may hold 16 KiB (Authelia: 4096 bytes), as forwarded cookies often exceed 4 KiB; set server.buffers.read: 4096 to keep Authelia's limit",
    );
  }
  const defaultEndpoints = config.server.endpoints.authz.filter((e) =>
    e.strategies.some((s) => s.name === 'HeaderAuthorization' && s.schemes.includes('bearer')),
  );
  if (defaultEndpoints.length > 0) {
    out.push(
      `server.endpoints.authz: ${defaultEndpoints.map((e) => e.name).join(', ')} accept Authorization: Bearer (OpenID Connect access tokens) as well as Basic (Authelia's default: Basic only); list authn_strategies with schemes: [Basic] to keep Authelia's`,
    );
  }
  if (config.identityValidation.elevatedSession.requireSecondFactor) {
    out.push(
      "identity_validation.elevated_session.require_second_factor: a user with a second factor must use it before adding or removing one (Authelia: the e-mailed code is enough); set it to false to keep Authelia's",
    );
  }
  if (config.session.redis === undefined) {
    out.push(
      'session: without session.redis, sessions are kept in the storage (SQLite or PostgreSQL) and survive a restart (Authelia: in memory, lost at a restart); nothing to set',
    );
  }
  out.push(
    "storage: Gatehouse's database is its own: users enrol their authenticator apps and security keys again, and OpenID Connect clients sign in again (Authelia's database is not read)",
  );
  return out;
}
