import { type SafeHtml, html } from '../../shared/html/escape.js';
import { alertBox, layout } from '../../shared/html/layout.js';

/** What every page needs to know about the product. */
export interface PageChrome {
  readonly productName: string;
  readonly theme: string;
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
  },
): string {
  return page(
    chrome,
    'Sign in',
    html`${alertBox(options.error)}
<form method="post" action="/login" class="stack">
  <label for="username">Username</label>
  <input id="username" name="username" type="text" autocomplete="username" autocapitalize="none" spellcheck="false" required autofocus value="${options.username ?? ''}"${options.error ? html` aria-describedby="form-message"` : ''}>
  <label for="password">Password</label>
  <input id="password" name="password" type="password" autocomplete="current-password" required>
  ${options.rememberMe ? html`<label class="check"><input type="checkbox" name="keepMeLoggedIn" value="true"> Remember me</label>` : ''}
  ${targetFields(options.rd, options.rm)}
  <button type="submit">Sign in</button>
</form>
${options.resetLink ? html`<p class="links"><a href="${options.resetLink}">Forgot password?</a></p>` : ''}`,
  );
}

/** `/reset-password`: asks for the username; `notice` is the same answer whether the account exists or not. */
export function resetRequestPage(chrome: PageChrome, options: { notice?: string | undefined; error?: string | undefined }): string {
  return page(
    chrome,
    'Reset your password',
    html`${alertBox(options.error)}${alertBox(options.notice, 'info')}
<p>Enter your username. If the account has an e-mail address, a link to choose a new password is sent to it.</p>
<form method="post" action="/reset-password" class="stack">
  <label for="username">Username</label>
  <input id="username" name="username" type="text" autocomplete="username" autocapitalize="none" spellcheck="false" required autofocus>
  <button type="submit">Send the link</button>
</form>
<p class="links"><a href="/">Back to sign-in</a></p>`,
  );
}

/** `/reset-password/step2?token=…`: the new password, twice, with the policy it must meet. */
export function newPasswordPage(chrome: PageChrome, options: { token: string; policy: string | undefined; error?: string | undefined }): string {
  return page(
    chrome,
    'Choose a new password',
    html`${alertBox(options.error)}
${options.policy ? html`<p class="hint policy" id="policy">The password must be ${options.policy}.</p>` : ''}
<form method="post" action="/reset-password/step2" class="stack">
  <input type="hidden" name="token" value="${options.token}">
  <label for="password">New password</label>
  <input id="password" name="password" type="password" autocomplete="new-password" required autofocus${options.policy ? html` aria-describedby="policy"` : ''}>
  <label for="confirmation">New password again</label>
  <input id="confirmation" name="confirmation" type="password" autocomplete="new-password" required>
  <button type="submit">Change the password</button>
</form>`,
  );
}

export function secondFactorPage(
  chrome: PageChrome,
  options: { rd?: string | undefined; rm?: string | undefined; displayName: string; hasTotp: boolean; error?: string | undefined },
): string {
  if (!options.hasTotp) {
    return page(
      chrome,
      'Two-factor sign-in',
      html`${alertBox(options.error)}
<p>Hello ${options.displayName}. This site needs a second factor, and you have no authenticator app set up yet.</p>
<form method="post" action="/2fa/enroll/start" class="stack">
  ${targetFields(options.rd, options.rm)}
  <button type="submit">Set up an authenticator app</button>
</form>
<p class="links"><a href="/logout">Sign out</a></p>`,
    );
  }
  return page(
    chrome,
    'Two-factor sign-in',
    html`${alertBox(options.error)}
<p>Hello ${options.displayName}. Enter the code your authenticator app shows.</p>
<form method="post" action="/2fa" class="stack">
  <label for="token">One-time code</label>
  <input id="token" name="token" type="text" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6,8}" maxlength="8" required autofocus${options.error ? html` aria-describedby="form-message"` : ''}>
  ${targetFields(options.rd, options.rm)}
  <button type="submit">Verify</button>
</form>
<p class="links"><a href="/logout">Sign out</a></p>`,
  );
}

export function enrolIdentityPage(chrome: PageChrome, options: { sentTo: string | undefined; rd?: string | undefined; error?: string | undefined }): string {
  return page(
    chrome,
    'Confirm it is you',
    html`${alertBox(options.error)}
${options.sentTo ? html`<p>We sent a one-time code to <strong>${options.sentTo}</strong>. Enter it to continue.</p>` : ''}
<form method="post" action="/2fa/enroll/verify" class="stack">
  <label for="code">Code from the e-mail</label>
  <input id="code" name="code" type="text" autocomplete="off" autocapitalize="characters" spellcheck="false" required autofocus>
  ${targetFields(options.rd, undefined)}
  <button type="submit">Continue</button>
</form>`,
  );
}

export function enrolSecretPage(
  chrome: PageChrome,
  options: { qrSvg: string; secret: string; uri: string; rd?: string | undefined; error?: string | undefined },
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
<form method="post" action="/2fa/enroll/confirm" class="stack">
  <label for="token">One-time code</label>
  <input id="token" name="token" type="text" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6,8}" maxlength="8" required autofocus>
  ${targetFields(options.rd, undefined)}
  <button type="submit">Confirm</button>
</form>`,
  );
}

export function authenticatedPage(chrome: PageChrome, options: { displayName: string; username: string; level: number; connectedApps: boolean }): string {
  const level = options.level >= 2 ? 'with two factors' : 'with a password';
  const apps = options.connectedApps ? html`<p class="links"><a href="/consents">Apps you have signed in to</a></p>` : '';
  return page(
    chrome,
    'Signed in',
    html`<p>You are signed in as <strong>${options.displayName}</strong> (${options.username}), ${level}.</p>
${apps}
<form method="post" action="/logout" class="stack"><button type="submit" class="secondary">Sign out</button></form>
<form method="post" action="/logout/everywhere" class="stack"><button type="submit" class="secondary">Sign out everywhere</button>
<p class="hint">Ends your sessions in every browser and on every device, and signs you out of the apps you signed in to with ${chrome.productName}.</p></form>`,
  );
}

export function logoutPage(chrome: PageChrome, options: { signedIn: boolean; rd?: string | undefined }): string {
  if (!options.signedIn) {
    return page(chrome, 'Signed out', html`<p>You are signed out.</p><p class="links"><a href="/">Sign in</a></p>`);
  }
  return page(
    chrome,
    'Sign out',
    html`<p>Sign out of every site behind ${chrome.productName}?</p>
<form method="post" action="/logout" class="stack">${targetFields(options.rd, undefined)}<button type="submit">Sign out</button></form>`,
  );
}

export function messagePage(chrome: PageChrome, title: string, message: string): string {
  return page(chrome, title, html`<p>${message}</p><p class="links"><a href="/">Back to sign-in</a></p>`);
}
