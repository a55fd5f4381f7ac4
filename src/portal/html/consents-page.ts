import type { AuthorizedApp } from '../../oidc/authorized-apps.js';
import { html } from '../../shared/html/escape.js';
import { alertBox, layout } from '../../shared/html/layout.js';
import type { PageChrome } from './pages.js';

/** `2026-11-25 12:00 UTC`. */
export function shownTime(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** The applications that can use the user's account, each with a "Revoke access" form. */
export function consentsPage(chrome: PageChrome, options: { username: string; apps: readonly AuthorizedApp[]; revoked: string | undefined }): string {
  const items = options.apps.map(
    (app) => html`<li class="app">
  <p><strong class="client-name">${app.clientName}</strong> <span class="muted">(${app.clientId})</span></p>
  <p>Authorised ${shownTime(app.authorizedAt)}: <span class="scopes">${app.scopes.join(', ')}</span>.</p>
  ${app.offline ? html`<p>It stays connected while you are away (it holds a refresh token).</p>` : ''}
  ${app.rememberedUntil !== undefined ? html`<p>It signs you in without asking until ${shownTime(app.rememberedUntil)}.</p>` : ''}
  <form method="post" action="${chrome.base}/consents/revoke" class="stack">
    <input type="hidden" name="client_id" value="${app.clientId}">
    <button type="submit" class="secondary">Revoke access</button>
  </form>
</li>`,
  );
  return layout({
    ...chrome,
    title: 'Applications with access',
    body: html`${alertBox(options.revoked && `Access revoked for ${options.revoked}: its tokens no longer work, and it will ask for your consent again.`, 'info')}
<p>These applications can use your account <strong>${options.username}</strong> through sign-in with ${chrome.productName}.</p>
${items.length > 0 ? html`<ul id="apps">${items}</ul>` : html`<p id="no-apps">No application has access to your account.</p>`}
<p class="links"><a href="${chrome.base}/authenticated">Back</a></p>`,
  });
}
