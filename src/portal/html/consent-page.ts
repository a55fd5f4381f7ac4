import { html } from '../../shared/html/escape.js';
import { layout } from '../../shared/html/layout.js';
import type { PageChrome } from './pages.js';

const scopeText: Readonly<Record<string, string>> = {
  openid: 'Know who you are (a stable identifier)',
  profile: 'Your name and username',
  email: 'Your e-mail address',
  groups: 'The groups you belong to',
  address: 'Your postal address',
  phone: 'Your phone number',
  offline_access: 'Stay connected while you are away (a refresh token, until you revoke it)',
  offline: 'Stay connected while you are away (a refresh token, until you revoke it)',
};

/** The OpenID Connect consent page: which application asks, for what; accept or refuse. */
export function consentPage(
  chrome: PageChrome,
  options: { flowId: string; clientName: string; clientId: string; scopes: readonly string[]; rememberable: boolean; username: string },
): string {
  const items = options.scopes.map((s) => html`<li><strong>${s}</strong>: ${scopeText[s] ?? s}</li>`);
  return layout({
    ...chrome,
    title: 'Allow access?',
    body: html`<p><strong id="client-name">${options.clientName}</strong> <span class="muted">(${options.clientId})</span> asks to use your account <strong>${options.username}</strong>:</p>
<ul id="scopes">${items}</ul>
<form method="post" action="${chrome.base}/consent" class="stack">
  <input type="hidden" name="flow_id" value="${options.flowId}">
  <input type="hidden" name="decision" value="accept">
  ${options.rememberable ? html`<label class="check"><input type="checkbox" name="remember" value="true"> Remember this decision</label>` : ''}
  <button type="submit" id="accept">Accept</button>
</form>
<form method="post" action="${chrome.base}/consent" class="stack">
  <input type="hidden" name="flow_id" value="${options.flowId}">
  <input type="hidden" name="decision" value="deny">
  <button type="submit" id="deny" class="secondary">Deny</button>
</form>`,
  });
}
