import { html } from '../../shared/html/escape.js';
import { layout } from '../../shared/html/layout.js';
import type { PageChrome } from './pages.js';

/**
 * RP-initiated logout's question, when the request cannot be tied to the current session: the
 * form posts the checked parameters back (same origin only) and only then is the session ended.
 */
export function endSessionConfirmPage(
  chrome: PageChrome,
  options: { action: string; clientName: string | undefined; fields: Readonly<Record<string, string>> },
): string {
  const asker = options.clientName ? html`<p><strong id="client-name">${options.clientName}</strong> asks you to sign out.</p>` : '';
  const fields = Object.entries(options.fields).map(([name, value]) => html`<input type="hidden" name="${name}" value="${value}">`);
  return layout({
    ...chrome,
    title: `Sign out of ${chrome.productName}?`,
    body: html`${asker}
<p>Signing out ends your session on every site and application behind ${chrome.productName}.</p>
<form method="post" action="${options.action}" class="stack">
  ${fields}
  <button type="submit" id="confirm-sign-out">Sign out</button>
</form>
<p class="links"><a href="${chrome.base}/authenticated" id="stay-signed-in">Stay signed in</a></p>`,
  });
}

/** One front-channel logout iframe. */
export interface SignedOutFrame {
  readonly clientName: string;
  readonly uri: string;
}

/**
 * The signed-out page that tells the session's applications through the browser (front-channel
 * logout): each URI loads in a hidden iframe. With `continueTo`, a Continue link (the handler
 * also sends a `Refresh` header, so no script is needed).
 */
export function signedOutPage(chrome: PageChrome, options: { frames: readonly SignedOutFrame[]; continueTo: string | undefined }): string {
  const names = options.frames.map((f, i) => html`${i > 0 ? ', ' : ''}<strong>${f.clientName}</strong>`);
  const frames = options.frames.map((f) => html`<iframe class="frontchannel-logout" src="${f.uri}" title="Signing out of ${f.clientName}" hidden></iframe>`);
  const next = options.continueTo
    ? html`<p class="links"><a href="${options.continueTo}" id="continue">Continue</a></p>`
    : html`<p class="links"><a href="${chrome.base}/">Sign in</a></p>`;
  return layout({
    ...chrome,
    title: 'Signed out',
    body: html`<p>You are signed out.</p>
<p id="signed-out-of">Signing you out of ${names} too.</p>
${frames}
${next}`,
  });
}
