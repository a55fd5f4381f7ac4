import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { safeRedirect } from '../../src/session/safe-redirect.js';
import { configOf, minimalRaw } from '../helpers/config.js';

const cookiesFor = (...entries: [string, string][]) =>
  configOf(minimalRaw('/tmp/x', { session: { cookies: entries.map(([domain, portal_url]) => ({ domain, portal_url })) } })).session.cookies;

const example = cookiesFor(['example.com', 'https://auth.example.com']);

describe('safeRedirect', () => {
  it.each([
    'https://example.com',
    'https://app.example.com/path?q=1#frag',
    'https://APP.Example.COM/',
    'https://deep.sub.example.com:8443/x',
    'https://example.com./trailing-dot',
  ])('allows %s', (target) => {
    expect(safeRedirect(target, example)?.hostname.replace(/\.$/, '')).toMatch(/example\.com$/);
  });

  it.each([
    ['//evil.com', 'scheme-relative'],
    ['/relative/path', 'relative'],
    ['https://evil.com', 'other domain'],
    ['https://example.com.evil.com', 'suffix look-alike'],
    ['https://notexample.com', 'prefix look-alike'],
    ['https://evil.com\\@example.com', 'backslash'],
    ['https://evil.com\\.example.com', 'backslash in host'],
    ['https://example.com@evil.com', 'userinfo points elsewhere'],
    ['https://user:pw@app.example.com', 'userinfo on an allowed host'],
    ['http://app.example.com', 'plain http on a real domain'],
    ['javascript:alert(1)', 'javascript:'],
    ['JaVaScRiPt:alert(document.domain)//https://example.com', 'javascript: mixed case'],
    ['data:text/html,<script>alert(1)</script>', 'data:'],
    ['https://exаmple.com', 'IDN look-alike (Cyrillic а)'],
    ['https://xn--exmple-4nf.com', 'punycode look-alike'],
    ['https://example.com%2e.evil.com', 'encoded dot'],
    ['https:%2f%2fevil.com', 'encoded slashes'],
    ['%68%74%74%70%73%3a%2f%2fevil.com', 'fully encoded'],
    [' https://evil.com', 'leading space'],
    ['https://evil.com\t.example.com', 'tab the parser strips'],
    ['https://evil.com\n.example.com', 'newline the parser strips'],
    ['https://example.com\u0000.evil.com', 'NUL'],
    ['wss://app.example.com', 'other scheme'],
    ['ftp://app.example.com', 'ftp'],
    ['https://[::1]/', 'IP literal'],
    ['https://127.0.0.1/', 'IPv4 literal'],
    ['', 'empty'],
  ])('refuses %s (%s)', (target) => {
    expect(safeRedirect(target, example)).toBeUndefined();
  });

  it('allows plain http only under a .localhost cookie domain', () => {
    const local = cookiesFor(['gatehouse.localhost', 'http://auth.gatehouse.localhost:9091']);
    expect(safeRedirect('http://app.gatehouse.localhost:9091/x', local)?.href).toBe('http://app.gatehouse.localhost:9091/x');
    expect(safeRedirect('http://evil.localhost/', local)).toBeUndefined();
    expect(safeRedirect('http://app.example.com/', example)).toBeUndefined();
  });

  describe("oauth2-proxy's open-redirect corpus (allowed domain www.whitelisteddomain.tld)", () => {
    const corpus = readFileSync(new URL('../fixtures/openredirects.txt', import.meta.url), 'utf8')
      .split('\n')
      .filter((line) => !line.startsWith('# ') && line !== '');
    const allowed = cookiesFor(['www.whitelisteddomain.tld', 'https://auth.www.whitelisteddomain.tld']);

    it('has every payload', () => {
      expect(corpus.length).toBeGreaterThanOrEqual(550);
    });

    it.each(corpus.map((line, i) => [i + 1, line]))('refuses payload %i: %s', (_n, payload) => {
      expect(safeRedirect(payload as string, allowed)).toBeUndefined();
    });
  });
});
