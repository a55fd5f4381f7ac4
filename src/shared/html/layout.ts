import { type SafeHtml, html } from './escape.js';

export interface LayoutOptions {
  /** Product name shown in the title and header (`portal.title`). */
  readonly productName: string;
  /** `light`, `dark` or `auto` (follows the device). */
  readonly theme: string;
  /** The path Gatehouse is served under (`''` or `/auth`, shared/base-path.ts): prefixes our stylesheet and scripts, and is told to them (`data-base`). */
  readonly base: string;
  readonly title: string;
  readonly body: SafeHtml;
  /** Further deferred scripts of ours (`/static/…`, under `base`), after the portal's own, in order. */
  readonly scripts?: readonly string[];
}

/** The page shell every portal page shares: one stylesheet, deferred scripts of ours, no inline code (CSP). */
export function layout(options: LayoutOptions): string {
  return html`<!doctype html>
<html lang="en" data-theme="${options.theme}" data-base="${options.base}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${options.title} · ${options.productName}</title>
<link rel="stylesheet" href="${options.base}/static/portal.css">
<script src="${options.base}/static/portal.js" defer></script>
${(options.scripts ?? []).map(
  (src) => html`<script src="${options.base}${src}" defer></script>
`,
)}</head>
<body>
<main class="card">
<header><p class="product">${options.productName}</p><h1>${options.title}</h1></header>
${options.body}
</main>
</body>
</html>
`.value;
}

/** An error or notice paragraph, announced to screen readers. */
export function alertBox(message: string | undefined, kind: 'error' | 'info' = 'error'): SafeHtml {
  if (!message) return html``;
  return html`<p class="alert ${kind}" role="${kind === 'error' ? 'alert' : 'status'}" id="form-message">${message}</p>`;
}
