import { describe, expect, it } from 'vitest';
import { crossSiteReason } from '../../src/portal/csrf.js';
import { html, escapeHtml, SafeHtml } from '../../src/shared/html/escape.js';

const own = 'https://auth.example.com';

describe('crossSiteReason', () => {
  it.each([
    [{ secFetchSite: 'same-origin' }],
    [{ secFetchSite: 'same-origin', origin: 'https://evil.com' }],
    [{ origin: own }],
    [{ contentType: 'application/json' }],
    [{ contentType: 'application/json; charset=utf-8' }],
  ])('allows %j', (headers) => {
    expect(crossSiteReason({ ...headers, ownOrigin: own })).toBeUndefined();
  });

  it.each([
    [{ secFetchSite: 'cross-site', origin: own }, "Sec-Fetch-Site is 'cross-site'"],
    [{ secFetchSite: 'same-site' }, "Sec-Fetch-Site is 'same-site'"],
    [{ secFetchSite: 'none' }, "Sec-Fetch-Site is 'none'"],
    [{ origin: 'https://evil.com' }, `Origin 'https://evil.com' is not '${own}'`],
    [{ origin: 'null' }, `Origin 'null' is not '${own}'`],
    [{ origin: 'http://auth.example.com' }, `Origin 'http://auth.example.com' is not '${own}'`],
    [{ contentType: 'application/x-www-form-urlencoded' }, 'neither Sec-Fetch-Site nor Origin was sent with a non-JSON body'],
    [{ contentType: 'text/plain' }, 'neither Sec-Fetch-Site nor Origin was sent with a non-JSON body'],
    [{}, 'neither Sec-Fetch-Site nor Origin was sent with a non-JSON body'],
  ])('refuses %j', (headers, reason) => {
    expect(crossSiteReason({ ...headers, ownOrigin: own })).toBe(reason);
  });
});

describe('html templates', () => {
  it('escape every interpolated value', () => {
    const name = '<img src=x onerror=alert(1)>"\'&';
    expect(html`<p title="${name}">${name}</p>`.value).toBe(
      '<p title="&lt;img src=x onerror=alert(1)&gt;&quot;&#39;&amp;">&lt;img src=x onerror=alert(1)&gt;&quot;&#39;&amp;</p>',
    );
  });

  it('insert nested templates as markup, and skip empty values', () => {
    expect(html`<ul>${['a', 'b'].map((x) => html`<li>${x}</li>`)}</ul>${undefined}${false}`.value).toBe('<ul><li>a</li><li>b</li></ul>');
    expect(escapeHtml('a&b')).toBe('a&amp;b');
    expect(new SafeHtml('<b>').toString()).toBe('<b>');
  });
});
