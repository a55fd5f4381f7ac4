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
    out.push("webauthn.display_name: browsers show 'Gatehouse' when a key is used (Authelia: 'Authelia'); set webauthn.display_name: Authelia to keep Authelia's");
  }
  if (config.notifier?.kind === 'smtp' && config.notifier.smtp.subject.startsWith('[Gatehouse]')) {
    out.push("notifier.smtp.subject: e-mails are titled '[Gatehouse] {title}' (Authelia: '[Authelia] {title}'); set notifier.smtp.subject to keep Authelia's");
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
