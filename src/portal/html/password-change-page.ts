import { html } from '../../shared/html/escape.js';
import { alertBox, layout } from '../../shared/html/layout.js';
import type { PageChrome } from './pages.js';

export interface PasswordChangePageOptions {
  readonly username: string;
  /** The `password_policy` in words, or undefined when none is enabled. */
  readonly policy: string | undefined;
  /**
   * `password`: the current password proves it is the user; `code`: an e-mailed code does
   * instead (`sentTo` is the masked address, undefined when the form is shown again after an error).
   */
  readonly proof: { kind: 'password'; codeOffered: boolean } | { kind: 'code'; sentTo: string | undefined };
  readonly error?: string | undefined;
}

/**
 * `/settings/password`: the current password (or the e-mailed code), the new one twice with the
 * policy it must meet. Works without JavaScript; the switch to a code is a form of its own.
 */
export function passwordChangePage(chrome: PageChrome, options: PasswordChangePageOptions): string {
  const { proof, policy } = options;
  const proofField =
    proof.kind === 'password'
      ? html`<label for="current_password">Current password</label>
  <input id="current_password" name="current_password" type="password" autocomplete="current-password" required autofocus>`
      : html`<label for="code">Code from the e-mail</label>
  <input id="code" name="code" type="text" autocomplete="off" autocapitalize="characters" spellcheck="false" required autofocus>`;
  const sent =
    proof.kind === 'code' && proof.sentTo
      ? html`<p>We sent a one-time code to <strong>${proof.sentTo}</strong>. Enter it instead of your current password.</p>`
      : '';
  const switcher =
    proof.kind === 'password' && proof.codeOffered
      ? html`<form method="post" action="${chrome.base}/settings/password/identity" class="stack links" id="use-code">
  <p class="hint">Forgot your current password?</p>
  <button type="submit" class="secondary">Confirm with an e-mailed code instead</button>
</form>`
      : '';
  return layout({
    ...chrome,
    title: 'Change your password',
    body: html`${alertBox(options.error)}${sent}
<p>Signed in as <strong>${options.username}</strong>.</p>
<form method="post" action="${chrome.base}/settings/password" class="stack" id="change-password">
  ${proofField}
  <label for="password">New password</label>
  <input id="password" name="password" type="password" autocomplete="new-password" required${policy ? html` aria-describedby="policy"` : ''}>
  ${policy ? html`<p class="hint" id="policy">It must be ${policy}.</p>` : ''}
  <label for="confirmation">New password again</label>
  <input id="confirmation" name="confirmation" type="password" autocomplete="new-password" required>
  <button type="submit">Change the password</button>
</form>
${switcher}
<p class="links"><a href="${chrome.base}/settings">Back to your settings</a></p>`,
  });
}

/** After a change: this browser is still signed in, the others are not. */
export function passwordChangedPage(chrome: PageChrome): string {
  return layout({
    ...chrome,
    title: 'Password changed',
    body: html`<p class="alert info" role="status" id="form-message">Your password was changed.</p>
<p>You are still signed in here; your other sessions, in other browsers and on other devices, were signed out. Use the new password from now on.</p>
<p class="links"><a href="${chrome.base}/settings">Back to your settings</a></p>`,
  });
}

/** A failure that leaves no form to show again (not available, the file could not be written), with where to go next. */
export function passwordChangeMessagePage(chrome: PageChrome, options: { title: string; message: string; link: { href: string; text: string } }): string {
  return layout({
    ...chrome,
    title: options.title,
    body: html`${alertBox(options.message)}
<p class="links"><a href="${options.link.href}">${options.link.text}</a></p>`,
  });
}
