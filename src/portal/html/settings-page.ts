import type { AuthorizedApp } from '../../oidc/authorized-apps.js';
import { type SafeHtml, html } from '../../shared/html/escape.js';
import { alertBox, layout } from '../../shared/html/layout.js';
import type { WebAuthnCredential } from '../../storage/auth-repositories.js';
import type { SessionSummary } from '../actions/settings.js';
import { credentialNameMaxLength } from '../actions/settings.js';
import type { SecondFactorMethod } from '../deps.js';
import { shownTime } from './consents-page.js';
import type { PageChrome } from './pages.js';

/** Everything the settings page shows. */
export interface SettingsView {
  readonly username: string;
  readonly displayName: string;
  /** The portal's root URL (origin and `server.path`): where the TOTP set-up and the second-factor check come back to. */
  readonly root: string;
  /** `server.path` (`''` or `/auth`): the start of every link and form action. */
  readonly base: string;
  /** A "Change password" link (`/settings/password`). */
  readonly passwordChange: boolean;
  /** `enabled`: TOTP is on for this server; `present`: the user has an authenticator app. */
  readonly totp: { readonly enabled: boolean; readonly present: boolean };
  readonly webauthn: { readonly enabled: boolean; readonly credentials: readonly WebAuthnCredential[] };
  readonly methods: readonly SecondFactorMethod[];
  readonly preferred: SecondFactorMethod | undefined;
  /** Whether second factors may be changed now; false: the session must reach two factors first. */
  readonly mayChange: boolean;
  readonly sessions: readonly SessionSummary[];
  /** The authorised OpenID Connect apps; undefined when the provider does not run. */
  readonly apps: readonly AuthorizedApp[] | undefined;
  /** Several cookie domains: say which one each key and session belongs to. */
  readonly showDomains: boolean;
  readonly notice?: string | undefined;
  readonly error?: string | undefined;
}

const methodNames: Record<SecondFactorMethod, string> = { totp: 'Authenticator app', webauthn: 'Security key or passkey' };

/** Text only screen readers announce, completing a short button label ("Remove" → "Remove YubiKey"). */
const spoken = (text: string) => html`<span class="visually-hidden"> ${text}</span>`;

const hiddenField = (name: string, value: string) => html`<input type="hidden" name="${name}" value="${value}">`;

/** `/settings`: the password link, second factors, sessions and apps of the signed-in user; every action is a form. */
export function settingsPage(chrome: PageChrome, view: SettingsView): string {
  const body = html`<div class="settings">
${alertBox(view.error)}${alertBox(view.notice, 'info')}
<p>Signed in as <strong>${view.displayName}</strong> (${view.username}).</p>
${view.passwordChange ? html`<section id="password"><h2>Password</h2><p><a href="${view.base}/settings/password">Change password</a></p></section>` : ''}
${secondFactorsSection(view)}
${sessionsSection(view)}
${view.apps ? appsSection(view.apps, view.base) : ''}
<p class="links"><a href="${view.base}/authenticated">Back</a></p>
</div>`;
  return layout({ ...chrome, title: 'Settings', body });
}

function secondFactorsSection(view: SettingsView): SafeHtml {
  if (!view.totp.enabled && !view.webauthn.enabled) {
    return html`<section id="second-factors"><h2>Two-factor sign-in</h2><p class="hint">Second factors are disabled on this server.</p></section>`;
  }
  const confirm = view.mayChange
    ? ''
    : html`<p class="alert info" id="confirm-first">To change these, first <a href="${view.base}/2fa?${new URLSearchParams({ rd: `${view.root}/settings` }).toString()}">confirm it is you with your second factor</a>.</p>`;
  return html`<section id="second-factors">
<h2>Two-factor sign-in</h2>
${confirm}
${view.totp.enabled ? totpPart(view) : ''}
${view.webauthn.enabled ? webauthnPart(view) : ''}
${preferredPart(view)}
</section>`;
}

function totpPart(view: SettingsView): SafeHtml {
  if (!view.totp.present) {
    // Setting one up counts as the second factor at once: offered only where changes are allowed.
    const setUp = view.mayChange
      ? html`<form method="post" action="${view.base}/2fa/enroll/start">${hiddenField('rd', `${view.root}/settings?done=totp-added`)}<button type="submit" class="secondary">Set up an authenticator app</button></form>`
      : '';
    return html`<h3>Authenticator app</h3>
<div class="item" id="totp"><p class="hint">Not set up.</p>
${setUp}</div>`;
  }
  return html`<h3>Authenticator app</h3>
<div class="item" id="totp"><p>Set up: its one-time codes are a second factor.</p>
${
  view.mayChange
    ? html`<form method="post" action="${view.base}/settings/totp/remove"><button type="submit" class="secondary danger">Remove${spoken('the authenticator app')}</button></form>`
    : ''
}</div>`;
}

function webauthnPart(view: SettingsView): SafeHtml {
  const items = view.webauthn.credentials.map((c, i) => {
    const kind = c.discoverable ? 'Passkey' : 'Security key';
    const used = c.lastUsedAt === undefined ? 'never used' : `last used ${shownTime(c.lastUsedAt)}`;
    const forms = view.mayChange
      ? html`<form method="post" action="${view.base}/settings/webauthn/rename" class="row">
  ${hiddenField('id', c.credentialId)}
  <label class="visually-hidden" for="key-name-${i}">New name for ${c.description}</label>
  <input id="key-name-${i}" name="description" type="text" maxlength="${credentialNameMaxLength}" required value="${c.description}">
  <button type="submit" class="secondary">Rename${spoken(c.description)}</button>
</form>
<form method="post" action="${view.base}/settings/webauthn/remove">${hiddenField('id', c.credentialId)}<button type="submit" class="secondary danger">Remove${spoken(c.description)}</button></form>`
      : '';
    return html`<li class="item credential">
<p class="item-title"><strong class="name">${c.description}</strong> <span class="badge">${kind}</span></p>
<p class="hint">Added ${shownTime(c.createdAt)}, ${used}${view.showDomains ? `, for ${c.rpId}` : ''}.</p>
${forms}
</li>`;
  });
  return html`<h3>Security keys and passkeys</h3>
${items.length > 0 ? html`<ul class="items" id="credentials">${items}</ul>` : html`<p class="hint" id="no-credentials">None yet.</p>`}
<p class="links start"><a href="${view.base}/settings/webauthn">Add a security key or passkey</a></p>`;
}

function preferredPart(view: SettingsView): SafeHtml {
  const [only] = view.methods;
  if (only === undefined || view.preferred === undefined) return html``;
  if (view.methods.length === 1 || !view.mayChange) {
    return html`<h3>Preferred method</h3>
<p id="preferred">Offered first when you sign in: <strong>${methodNames[view.preferred]}</strong>.</p>`;
  }
  const choices = view.methods.map(
    (m) => html`<label class="check"><input type="radio" name="method" value="${m}"${m === view.preferred ? html` checked` : ''}> ${methodNames[m]}</label>`,
  );
  return html`<h3>Preferred method</h3>
<form method="post" action="${view.base}/settings/method" id="preferred">
<fieldset><legend>Offered first when you sign in:</legend>${choices}</fieldset>
<button type="submit" class="secondary">Save</button>
</form>`;
}

function sessionsSection(view: SettingsView): SafeHtml {
  const others = view.sessions.filter((s) => !s.current).length;
  const items = view.sessions.map((s) => {
    const where = [s.ip ?? 'unknown address', `signed in ${shownTime(s.signedInAt)}`, `last active ${shownTime(s.lastActivity)}`];
    if (view.showDomains) where.push(s.cookieDomain);
    return html`<li class="item session${s.current ? ' current' : ''}">
<p class="item-title"><strong class="device" title="${s.userAgent ?? ''}">${s.device}</strong>${s.current ? html` <span class="badge">This device</span>` : ''}</p>
<p class="hint">${where.map((part, i) => html`${i > 0 ? ' · ' : ''}<span class="nowrap">${part}</span>`)}</p>
${
  s.current
    ? ''
    : html`<form method="post" action="${view.base}/settings/sessions/end">${hiddenField('id', s.id)}<button type="submit" class="secondary">Sign out${spoken(s.device)}</button></form>`
}
</li>`;
  });
  const everywhere =
    others > 0
      ? html`<form method="post" action="${view.base}/settings/sessions/end-others" class="stack"><button type="submit" class="secondary">Sign out everywhere else</button>
<p class="hint">Ends your ${others === 1 ? 'other session' : `${others} other sessions`}; this one stays signed in.</p></form>`
      : html`<p class="hint">You are signed in nowhere else.</p>`;
  return html`<section id="sessions">
<h2>Where you are signed in</h2>
<ul class="items" id="session-list">${items}</ul>
${everywhere}
</section>`;
}

function appsSection(apps: readonly AuthorizedApp[], base: string): SafeHtml {
  const items = apps.map(
    (app) => html`<li class="item app">
<p class="item-title"><strong class="client-name">${app.clientName}</strong> <span class="hint">(${app.clientId})</span></p>
<p class="hint">Authorised ${shownTime(app.authorizedAt)}: ${app.scopes.join(', ')}.</p>
<form method="post" action="${base}/settings/apps/revoke">${hiddenField('client_id', app.clientId)}<button type="submit" class="secondary danger">Revoke${spoken(app.clientName)}</button></form>
</li>`,
  );
  return html`<section id="apps">
<h2>Apps with access</h2>
${items.length > 0 ? html`<ul class="items" id="app-list">${items}</ul>` : html`<p class="hint">No app has access to your account.</p>`}
</section>`;
}
