import { createHash } from 'node:crypto';
import type { FastifyReply } from 'fastify';
import { SafeHtml, html } from '../shared/html/escape.js';

export type ResponseMode = 'query' | 'form_post';

/**
 * Sends an authorization response (success or error) to the client's redirect URI.
 * - `query` (RFC 6749 §4.1.2): parameters added to the URI's query, which is kept; 303 after a
 *   POST request and 302 after a GET (never 307, RFC 9700 §4.12).
 * - `form_post` (OAuth 2.0 Form Post Response Mode): an auto-submitting form; the only script is
 *   allowed by its hash, and the page can post only to the redirect URI.
 */
export function sendAuthorizationResponse(
  reply: FastifyReply,
  mode: ResponseMode,
  redirectUri: string,
  parameters: Record<string, string>,
  requestMethod: string,
): FastifyReply {
  void reply.header('cache-control', 'no-store').header('pragma', 'no-cache').header('referrer-policy', 'no-referrer');
  if (mode === 'query') {
    const url = new URL(redirectUri);
    for (const [name, value] of Object.entries(parameters)) url.searchParams.append(name, value);
    return reply
      .status(requestMethod === 'POST' ? 303 : 302)
      .header('location', url.href)
      .send();
  }
  const script = 'document.forms[0].submit();';
  const hash = createHash('sha256').update(script).digest('base64');
  const fields = Object.entries(parameters).map(([name, value]) => html`<input type="hidden" name="${name}" value="${value}">`);
  const page = html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Submit this form</title></head>
<body><form method="post" action="${redirectUri}">${fields}<noscript><button type="submit">Continue</button></noscript></form>
<script>${new SafeHtml(script)}</script></body></html>
`;
  const origin = new URL(redirectUri).origin;
  return reply
    .status(200)
    .header('content-security-policy', `default-src 'none'; script-src 'sha256-${hash}'; form-action ${origin}; frame-ancestors 'none'; base-uri 'none'`)
    .header('x-frame-options', 'DENY')
    .type('text/html; charset=utf-8')
    .send(page.value);
}
