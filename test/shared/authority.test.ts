import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalHostname, isAuthorityError, originOf, parseAuthority } from '../../src/shared/authority.js';
import { parseRequestUrl } from '../../src/shared/request-url.js';

const accepted: [string, string, number | undefined, string][] = [
  ['app.example.com', 'app.example.com', undefined, 'app.example.com'],
  ['App.Example.COM.:8443', 'app.example.com', 8443, 'app.example.com:8443'],
  ['app.example.com:', 'app.example.com', undefined, 'app.example.com'],
  ['app.example.com:080', 'app.example.com', 80, 'app.example.com:80'],
  ['localhost', 'localhost', undefined, 'localhost'],
  ['my_app.internal', 'my_app.internal', undefined, 'my_app.internal'],
  ['1password.com', '1password.com', undefined, '1password.com'],
  ['192.0.2.1:9091', '192.0.2.1', 9091, '192.0.2.1:9091'],
  ['[::1]:80', '::1', 80, '[::1]:80'],
  ['[2001:DB8:0:0:0:0:0:1]', '2001:db8::1', undefined, '[2001:db8::1]'],
];

/** Each refused host with a word of the reason given. */
const refused: [string, RegExp][] = [
  ['', /is empty/],
  ['deny.example.com:@auth.example.com', /contains '@'/],
  ['user@app.example.com', /contains '@'/],
  ['app.example.com:/public', /contains '\/'/],
  ['app.example.com/x', /contains '\/'/],
  ['app.example.com:#', /contains '#'/],
  ['app.example.com:?', /contains '\?'/],
  ['app.example.com\\x', /contains '\\'/],
  ['deny.example.com..', /empty label/],
  ['deny..example.com', /empty label/],
  ['.example.com', /empty label/],
  ['.', /empty label/],
  [':80', /no host name/],
  ['app.example.com:8o', /not a number/],
  ['app.example.com:1:2', /not a number/],
  ['app.example.com:123456', /not a number/],
  ['app.example.com:65536', /above 65535/],
  ['app.example.com:-1', /not a number/],
  ['app.example.com: 80', /not a number/],
  ['app example.com', /U\+0020/],
  ['app.example.com\t', /U\+0009/],
  ['bücher.example.com', /non-ASCII.*punycode/],
  ['ex%61mple.com', /contains '%'/],
  ['a*.example.com', /contains '\*'/],
  ['0x7f.1', /ends in a number/],
  ['127.1', /ends in a number/],
  ['1.2.3.04', /ends in a number/],
  ['3232235777', /ends in a number/],
  ['app.example.0', /ends in a number/],
  ['256.1.1.1', /ends in a number/],
  ['[::1', /without '\]'/],
  ['[::1]x', /after the IPv6 address/],
  ['[v1.abc]', /IPvFuture/],
  ['[fe80::1%25eth0]', /zone/],
  ['[1.2.3.4]', /not an IPv6 address/],
  [`${'a'.repeat(64)}.example.com`, /longer than 63/],
  [`${'abcdefghi.'.repeat(26)}com`, /longer than 2(53|61)/],
];

describe('parseAuthority', () => {
  it.each(accepted)('reads %j as %j port %j', (text, hostname, port, host) => {
    expect(parseAuthority(text)).toEqual({ hostname, port, host });
  });

  it.each(refused)('refuses %j', (text, reason) => {
    const parsed = parseAuthority(text);
    expect(isAuthorityError(parsed)).toBe(true);
    expect(isAuthorityError(parsed) && parsed.reason).toMatch(reason);
  });

  it('never accepts a host that a WHATWG URL parser reads as another host name', () => {
    // Whatever the text, an accepted authority is the one Node's URL parser (a browser's) sees.
    const chars = fc.constantFrom(...'aAz09-_.:@/?#[]%\\ \t\u00e9x'.split(''));
    fc.assert(
      fc.property(
        fc.array(chars, { maxLength: 24 }).map((a) => a.join('')),
        (text) => {
          const parsed = parseAuthority(text);
          if (isAuthorityError(parsed)) return;
          const url = new URL(`http://${text}/`);
          expect(url.hostname.replace(/^\[|\]$/g, '').replace(/\.$/, '')).toBe(parsed.hostname);
          if (parsed.port !== undefined && parsed.port !== 80) expect(url.port).toBe(String(parsed.port));
        },
      ),
      { numRuns: 5000 },
    );
  });
});

describe('canonicalHostname (configured names)', () => {
  it.each([
    ['bücher.example.com', 'xn--bcher-kva.example.com'],
    ['BÜCHER.Example.com.', 'xn--bcher-kva.example.com'],
    ['xn--bcher-kva.example.com', 'xn--bcher-kva.example.com'],
    ['App.Example.com.', 'app.example.com'],
  ])('%s → %s', (text, name) => {
    expect(canonicalHostname(text)).toBe(name);
  });

  it.each([
    ['app.example.com:8443', /port/],
    ['app..example.com', /empty label/],
    ['app example.com', /U\+0020/],
  ])('refuses %j', (text, reason) => {
    const name = canonicalHostname(text);
    expect(typeof name === 'object' && name.reason).toMatch(reason);
  });
});

describe('originOf', () => {
  it('leaves out the default port of the scheme and keeps others', () => {
    const of = (text: string) => parseAuthority(text) as Exclude<ReturnType<typeof parseAuthority>, { reason: string }>;
    expect(originOf('https', of('auth.example.com:443'))).toBe('https://auth.example.com');
    expect(originOf('http', of('auth.example.com:443'))).toBe('http://auth.example.com:443');
    expect(originOf('http', of('[::1]:8080'))).toBe('http://[::1]:8080');
    expect(originOf('https', of('Auth.Example.com.'))).toBe('https://auth.example.com');
  });
});

describe('parseRequestUrl', () => {
  it('splits an absolute URL into canonical parts, fragment dropped', () => {
    expect(parseRequestUrl('HTTPS://App.Example.com.:8443/p/a?q=1#frag')).toEqual({
      scheme: 'https',
      authority: { hostname: 'app.example.com', port: 8443, host: 'app.example.com:8443' },
      target: '/p/a?q=1',
      href: 'https://app.example.com:8443/p/a?q=1',
    });
    expect(parseRequestUrl('https://app.example.com')).toMatchObject({ target: '/', href: 'https://app.example.com/' });
    expect(parseRequestUrl('https://app.example.com?x=1')).toMatchObject({ target: '/?x=1' });
  });

  it.each([
    ['app.example.com/x', /not an absolute URL/],
    ['https://deny.example.com../', /empty label/],
    ['https://deny.example.com:@app.example.com/', /user name/],
    ['https://user:pw@app.example.com/', /user name/],
    ['https://app.example.com:x/', /not a number/],
  ])('refuses %j', (text, reason) => {
    const parsed = parseRequestUrl(text);
    expect('reason' in parsed && parsed.reason).toMatch(reason);
  });
});
