import { html } from '../../shared/html/escape.js';
import { alertBox, layout } from '../../shared/html/layout.js';
import { type PageChrome, webauthnScripts } from './pages.js';

const title = 'Add a security key or passkey';

function targetField(rd: string | undefined) {
  return rd ? html`<input type="hidden" name="rd" value="${rd}">` : '';
}

/**
 * `/settings/webauthn`, in three steps: the identity check is sent (`identity`), its code is
 * typed (`code`), then the key is named and registered (`name`, the only step needing JavaScript).
 */
export function webauthnRegisterPage(
  chrome: PageChrome,
  options: {
    step: 'identity' | 'code' | 'name' | 'blocked';
    sentTo?: string | undefined;
    rd?: string | undefined;
    error?: string | undefined;
    /** The name typed before an error, kept in the field. */
    description?: string | undefined;
  },
): string {
  const back = html`<p class="links"><a href="${chrome.base}/settings">Back to settings</a></p>`;
  const error = alertBox(options.error);
  switch (options.step) {
    case 'blocked':
      return layout({ ...chrome, title, body: html`${error}${back}` });
    case 'identity':
      return layout({
        ...chrome,
        title,
        body: html`${error}
<p>First, confirm it is you: we send a one-time code to your e-mail address.</p>
<form method="post" action="${chrome.base}/settings/webauthn/identity" class="stack">
  ${targetField(options.rd)}
  <button type="submit">Send the code</button>
</form>
${back}`,
      });
    case 'code':
      return layout({
        ...chrome,
        title,
        body: html`${error}
${options.sentTo ? html`<p>We sent a one-time code to <strong>${options.sentTo}</strong>. Enter it to continue.</p>` : ''}
<form method="post" action="${chrome.base}/settings/webauthn/verify" class="stack">
  <label for="code">Code from the e-mail</label>
  <input id="code" name="code" type="text" autocomplete="off" autocapitalize="characters" spellcheck="false" required autofocus>
  ${targetField(options.rd)}
  <button type="submit">Continue</button>
</form>
${back}`,
      });
    case 'name':
      return layout({
        ...chrome,
        title,
        scripts: webauthnScripts,
        body: html`${error}
<p>Name the key so you can tell it apart later, then follow your browser's prompts: touch the key, or confirm with your device's screen lock to make a passkey.</p>
<form method="post" action="${chrome.base}/settings/webauthn/register" class="stack" data-webauthn="register">
  <label for="description">Name</label>
  <input id="description" name="description" type="text" maxlength="64" required autofocus value="${options.description ?? ''}" placeholder="e.g. YubiKey, Laptop">
  <input type="hidden" name="credential" value="">
  ${targetField(options.rd)}
  <button type="submit">Add the key</button>
  <p class="hint" data-status role="status"></p>
  <noscript><p class="hint">Security keys and passkeys need JavaScript in this browser.</p></noscript>
</form>
${back}`,
      });
  }
}
