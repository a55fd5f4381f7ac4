import { type SafeHtml, html } from '../../shared/html/escape.js';
import { alertBox, layout } from '../../shared/html/layout.js';

/** What every page needs to know about the product. */
export interface PageChrome {
  readonly productName: string;
  readonly theme: string;
  /** The path Gatehouse is served under (`''` or `/auth`): every link and form action of ours starts with it (shared/base-path.ts). */
  readonly base: string;
}

/** Hidden fields that carry the target through a form post. */
function targetFields(rd: string | undefined, rm: string | undefined): SafeHtml {
  return html`${rd ? html`<input type="hidden" name="rd" value="${rd}">` : ''}${rm ? html`<input type="hidden" name="rm" value="${rm}">` : ''}`;
}

const page = (chrome: PageChrome, title: string, body: SafeHtml) => layout({ ...chrome, title, body });

export function loginPage(
  chrome: PageChrome,
  options: {
    rd?: string | undefined;
    rm?: string | undefined;
    username?: string;
    error?: string | undefined;
    rememberMe: boolean;
    /** The "Forgot password?" link (`/reset-password` or `password_reset.custom_url`); none when undefined. */
    resetLink?: string | undefined;
    /** `webauthn.enable_passkey_login`: a "Sign in with a passkey" button. */
    passkey?: boolean;
  },
): string {
  const passkey = options.passkey
    ? html`<p class="or"><span>or</span></p>
<form method="post" action="${chrome.base}/login/passkey" class="stack" data-webauthn="passkey">
  <input type="hidden" name="credential" value="">
  <input type="hidden" name="keepMeLoggedIn" value="">
  ${targetFields(options.rd, options.rm)}
  <button type="submit" class="secondary">Sign in with a passkey</button>
  ${webauthnStatus}
</form>`
    : '';
  return layout({
    ...chrome,
    title: 'Sign in',
    ...(options.passkey ? { scripts: webauthnScripts } : {}),
    body: html`${alertBox(options.error)}
<form method="post" action="${chrome.base}/login" class="stack">
  <label for="username">Username</label>
  <input id="username" name="username" type="text" autocomplete="username" autocapitalize="none" spellcheck="false" required autofocus value="${options.username ?? ''}"${options.error ? html` aria-describedby="form-message"` : ''}>
  <label for="password">Password</label>
  <input id="password" name="password" type="password" autocomplete="current-password" required>
  ${options.rememberMe ? html`<label class="check"><input type="checkbox" name="keepMeLoggedIn" value="true"> Remember me</label>` : ''}
  ${targetFields(options.rd, options.rm)}
  <button type="submit">Sign in</button>
</form>
${passkey}
${options.resetLink ? html`<p class="links"><a href="${options.resetLink}">Forgot password?</a></p>` : ''}`,
  });
}

/** `/reset-password`: asks for the username; `notice` is the same answer whether the account exists or not. */
export function resetRequestPage(chrome: PageChrome, options: { notice?: string | undefined; error?: string | undefined }): string {
  return page(
    chrome,
    'Reset your password',
    html`${alertBox(options.error)}${alertBox(options.notice, 'info')}
<p>Enter your username. If the account has an e-mail address, a link to choose a new password is sent to it.</p>
<form method="post" action="${chrome.base}/reset-password" class="stack">
  <label for="username">Username</label>
  <input id="username" name="username" type="text" autocomplete="username" autocapitalize="none" spellcheck="false" required autofocus>
  <button type="submit">Send the link</button>
</form>
<p class="links"><a href="${chrome.base}/">Back to sign-in</a></p>`,
  );
}

/** `/reset-password/step2?token=…`: the new password, twice, with the policy it must meet. */
export function newPasswordPage(chrome: PageChrome, options: { token: string; policy: string | undefined; error?: string | undefined }): string {
  return page(
    chrome,
    'Choose a new password',
    html`${alertBox(options.error)}
${options.policy ? html`<p class="hint policy" id="policy">The password must be ${options.policy}.</p>` : ''}
<form method="post" action="${chrome.base}/reset-password/step2" class="stack">
  <input type="hidden" name="token" value="${options.token}">
  <label for="password">New password</label>
  <input id="password" name="password" type="password" autocomplete="new-password" required autofocus${options.policy ? html` aria-describedby="policy"` : ''}>
  <label for="confirmation">New password again</label>
  <input id="confirmation" name="confirmation" type="password" autocomplete="new-password" required>
  <button type="submit">Change the password</button>
</form>`,
  );
}

/** The second factors a user can use now, and those they could set up. */
export interface SecondFactorChoices {
  readonly totp: boolean;
  readonly webauthn: boolean;
  /** A passkey session (no password yet): the password completes two factors. */
  readonly password: boolean;
  readonly preferred?: 'totp' | 'webauthn' | undefined;
  readonly canEnrol: { readonly totp: boolean; readonly webauthn: boolean };
}

/** The deferred scripts a page with a WebAuthn button needs (the library's bundle, then our glue). */
export const webauthnScripts = ['/static/simplewebauthn.js', '/static/webauthn.js'] as const;

/** The notice shown where a WebAuthn button cannot work (no JavaScript, or a browser without WebAuthn). */
const webauthnStatus = html`<p class="hint" data-status role="status"></p><noscript><p class="hint">Security keys and passkeys need JavaScript in this browser.</p></noscript>`;

export function secondFactorPage(
  chrome: PageChrome,
  options: { rd?: string | undefined; rm?: string | undefined; displayName: string; choices: SecondFactorChoices; error?: string | undefined },
): string {
  const { choices } = options;
  const error = alertBox(options.error);
  if (!choices.totp && !choices.webauthn && !choices.password) {
    const setUpKey = choices.canEnrol.webauthn
      ? html`<p class="links"><a href="${withTargetHref('/settings/webauthn', options.rd)}">Add a security key or passkey</a></p>`
      : '';
    return page(
      chrome,
      'Two-factor sign-in',
      html`${error}
<p>Hello ${options.displayName}. This site needs a second factor, and you have none set up yet.</p>
${
  choices.canEnrol.totp
    ? html`<form method="post" action="${chrome.base}/2fa/enroll/start" class="stack">
  ${targetFields(options.rd, options.rm)}
  <button type="submit">Set up an authenticator app</button>
</form>`
    : ''
}
${setUpKey}
<p class="links"><a href="${chrome.base}/logout">Sign out</a></p>`,
    );
  }
  const sections: SafeHtml[] = [];
  if (choices.password) {
    sections.push(html`<p>You signed in with a passkey. This site also needs your password.</p>
<form method="post" action="${chrome.base}/2fa/password" class="stack">
  <label for="password">Password</label>
  <input id="password" name="password" type="password" autocomplete="current-password" required autofocus${options.error ? html` aria-describedby="form-message"` : ''}>
  ${targetFields(options.rd, options.rm)}
  <button type="submit">Continue</button>
</form>`);
  }
  const key = choices.webauthn
    ? html`<p>Use your security key or passkey.</p>
<form method="post" action="${chrome.base}/2fa/webauthn" class="stack" data-webauthn="second-factor">
  <input type="hidden" name="credential" value="">
  ${targetFields(options.rd, options.rm)}
  <button type="submit">Use your security key</button>
  ${webauthnStatus}
</form>`
    : undefined;
  const app = choices.totp
    ? html`<p>Enter the code your authenticator app shows.</p>
<form method="post" action="${chrome.base}/2fa" class="stack">
  <label for="token">One-time code</label>
  <input id="token" name="token" type="text" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6,8}" maxlength="8" required${choices.password ? '' : html` autofocus`}${options.error && !choices.password ? html` aria-describedby="form-message"` : ''}>
  ${targetFields(options.rd, options.rm)}
  <button type="submit">Verify</button>
</form>`
    : undefined;
  const ordered = choices.preferred === 'webauthn' ? [key, app] : [app, key];
  for (const section of ordered) if (section) sections.push(section);
  const body = html`${error}
<p>Hello ${options.displayName}.</p>
${sections.map((section, i) => html`${i > 0 ? html`<p class="or"><span>or</span></p>` : ''}${section}`)}
<p class="links"><a href="${chrome.base}/logout">Sign out</a></p>`;
  return layout({ ...chrome, title: 'Two-factor sign-in', body, ...(key ? { scripts: webauthnScripts } : {}) });
}

/** `/path?rd=…` for a link. */
function withTargetHref(path: string, rd: string | undefined): string {
  return rd ? `${path}?${new URLSearchParams({ rd }).toString()}` : path;
}

export function enrolIdentityPage(chrome: PageChrome, options: { sentTo: string | undefined; rd?: string | undefined; error?: string | undefined }): string {
  return page(
    chrome,
    'Confirm it is you',
    html`${alertBox(options.error)}
${options.sentTo ? html`<p>We sent a one-time code to <strong>${options.sentTo}</strong>. Enter it to continue.</p>` : ''}
<form method="post" action="${chrome.base}/2fa/enroll/verify" class="stack">
  <label for="code">Code from the e-mail</label>
  <input id="code" name="code" type="text" autocomplete="off" autocapitalize="characters" spellcheck="false" required autofocus>
  ${targetFields(options.rd, undefined)}
  <button type="submit">Continue</button>
</form>`,
  );
}

export function enrolSecretPage(
  chrome: PageChrome,
  options: {
    qrSvg: string;
    secret: string;
    uri: string;
    rd?: string | undefined;
    error?: string | undefined;
    /** The key's settings, and what `totp.allowed_*` lets the user choose instead. */
    enrollment?: { algorithm: string; digits: number; period: number };
    options?: { algorithms: readonly string[]; digits: readonly number[]; periods: readonly number[] };
  },
): string {
  const qr = `data:image/svg+xml;base64,${Buffer.from(options.qrSvg).toString('base64')}`;
  return page(
    chrome,
    'Set up your authenticator',
    html`${alertBox(options.error)}
<ol class="steps">
  <li>Scan this code with your authenticator app:
    <img class="qr" src="${qr}" alt="QR code for your authenticator app" width="200" height="200"></li>
  <li>Or enter this key by hand: <code class="secret" id="secret">${options.secret}</code></li>
  <li>Enter the code the app now shows:</li>
</ol>
<form method="post" action="${chrome.base}/2fa/enroll/confirm" class="stack">
  <label for="token">One-time code</label>
  <input id="token" name="token" type="text" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6,8}" maxlength="8" required autofocus>
  ${targetFields(options.rd, undefined)}
  <button type="submit">Confirm</button>
</form>
${totpChoiceForm(chrome, options)}`,
  );
}

/** The form that makes a new key with other settings: only when `totp.allowed_*` offers a choice. */
function totpChoiceForm(chrome: PageChrome, view: Parameters<typeof enrolSecretPage>[1]): SafeHtml | string {
  const { enrollment, options } = view;
  if (!enrollment || !options) return '';
  const fields = [
    { name: 'algorithm', label: 'Algorithm', values: options.algorithms.map(String), current: enrollment.algorithm },
    { name: 'digits', label: 'Digits', values: options.digits.map(String), current: String(enrollment.digits) },
    { name: 'period', label: 'Seconds per code', values: options.periods.map(String), current: String(enrollment.period) },
  ].filter((f) => f.values.length > 1);
  if (fields.length === 0) return '';
  const selects = fields.map(
    (f) =>
      html`<label for="${f.name}">${f.label}</label>
  <select id="${f.name}" name="${f.name}">${f.values.map((v) => html`<option value="${v}"${v === f.current ? ' selected' : ''}>${v}</option>`)}</select>`,
  );
  return html`<details><summary>Your app needs other settings?</summary>
<form method="post" action="${chrome.base}/2fa/enroll/options" class="stack">
  ${selects}
  ${targetFields(view.rd, undefined)}
  <button type="submit" class="secondary">Make a new key with these settings</button>
</form></details>`;
}

export function authenticatedPage(chrome: PageChrome, options: { displayName: string; username: string; level: number; connectedApps: boolean }): string {
  const level = options.level >= 2 ? 'with two factors' : 'with a password';
  const apps = options.connectedApps ? html`<p class="links"><a href="${chrome.base}/consents">Apps you have signed in to</a></p>` : '';
  return page(
    chrome,
    'Signed in',
    html`<p>You are signed in as <strong>${options.displayName}</strong> (${options.username}), ${level}.</p>
<p class="links"><a href="${chrome.base}/settings">Settings</a></p>
${apps}
<form method="post" action="${chrome.base}/logout" class="stack"><button type="submit" class="secondary">Sign out</button></form>
<form method="post" action="${chrome.base}/logout/everywhere" class="stack"><button type="submit" class="secondary">Sign out everywhere</button>
<p class="hint">Ends your sessions in every browser and on every device, and signs you out of the apps you signed in to with ${chrome.productName}.</p></form>`,
  );
}

export function logoutPage(chrome: PageChrome, options: { signedIn: boolean; rd?: string | undefined }): string {
  if (!options.signedIn) {
    return page(chrome, 'Signed out', html`<p>You are signed out.</p><p class="links"><a href="${chrome.base}/">Sign in</a></p>`);
  }
  return page(
    chrome,
    'Sign out',
    html`<p>Sign out of every site behind ${chrome.productName}?</p>
<form method="post" action="${chrome.base}/logout" class="stack">${targetFields(options.rd, undefined)}<button type="submit">Sign out</button></form>`,
  );
}

export function messagePage(chrome: PageChrome, title: string, message: string): string {
  return page(chrome, title, html`<p>${message}</p><p class="links"><a href="${chrome.base}/">Back to sign-in</a></p>`);
}
