import { describe, expect, it } from 'vitest';
import { normalizePath, normalizeQuery, parseTarget, targetOf } from '../../src/rules/index.js';
import { parseAuthority } from '../../src/shared/authority.js';
import { requestUrl } from '../../src/shared/request-url.js';

const ok = (raw: string) => {
  const result = normalizePath(raw);
  return result.ok ? result.path : `refused: ${result.reason}`;
};

describe('normalizePath', () => {
  it.each([
    ['', '/'],
    ['/', '/'],
    ['/a/b', '/a/b'],
    ['/a/b/', '/a/b/'],
    ['/a/../b', '/b'],
    ['/a/./b', '/a/b'],
    ['/a/b/..', '/a/'],
    ['/a/b/.', '/a/b/'],
    ['/../../a', '/a'],
    ['/%2e%2e/a', '/a'],
    ['/%2E%2e/a', '/a'],
    ['/a/.%2E/b', '/b'],
    ['/a/%2e/b', '/a/b'],
    ['//a///b', '/a/b'],
    ['/a//', '/a/'],
    ['/a;x=1/b', '/a/b'],
    ['/a/b;jsessionid=1', '/a/b'],
    ['/admin;.css', '/admin'],
    ['/%61%62c', '/abc'],
    ['/%7e%7E~', '/~~~'],
    ['/a%20b', '/a%20b'],
    ['/a b', '/a%20b'],
    ['/a%3fb', '/a%3Fb'],
    ['/a%3bb', '/a%3Bb'],
    ['/a%3Bb/..', '/'],
    ['/caf%c3%a9', '/caf%C3%A9'],
    ['/café', '/caf%C3%A9'],
    ['/a%25zz', '/a%25zz'],
    ['/a%40b', '/a@b'],
  ])('%s → %s', (raw, expected) => {
    expect(ok(raw)).toBe(expected);
  });

  it.each([
    ['a/b', "it does not start with '/'"],
    ['/a\\b', 'it contains a backslash'],
    ['/a/%2fb', "it contains an encoded slash or backslash ('%2fb')"],
    ['/a/%2F..%2Fb', "it contains an encoded slash or backslash ('%2F..%2Fb')"],
    ['/a/%5c', "it contains an encoded slash or backslash ('%5c')"],
    ['/a/%zz', "it has a malformed percent-escape ('%zz')"],
    ['/a/%2', "it has a malformed percent-escape ('%2')"],
    ['/a/%252e%252e/b', "it is percent-encoded twice ('%252e%252e')"],
    ['/a/%00', 'it contains a control character'],
    ['/a/\u0001', 'it contains a control character'],
    ['/a/%c0%ae%c0%ae/b', "its percent-escapes are not UTF-8 ('%c0%ae%c0%ae')"],
    ['/public/..;/admin', "it has a ';' parameter on an empty or dot segment ('..;')"],
    ['/;x/admin', "it has a ';' parameter on an empty or dot segment (';x')"],
    ['/admin//../public', "servers disagree on it: '/public' once duplicate slashes are merged, '/admin/public' if not"],
  ])('refuses %s', (raw, reason) => {
    expect(normalizePath(raw)).toEqual({ ok: false, reason });
  });
});

describe('normalizeQuery', () => {
  it.each([
    ['', ''],
    ['a=1&b=2', 'a=1&b=2'],
    ['a=%7e', 'a=~'],
    ['a=%2f%2F', 'a=%2F%2F'],
    ['a=b c', 'a=b%20c'],
    ['a=%zz', 'a=%25zz'],
    ['a=+', 'a=+'],
  ])('%s → %s', (raw, expected) => {
    expect(normalizeQuery(raw)).toBe(expected);
  });
});

describe('parseTarget', () => {
  it('lower-cases the host, drops port, trailing dot, fragment and a trailing ?', () => {
    expect(parseTarget('https://App.Example.COM.:8443/a/../B?#frag', 'GET')).toMatchObject({
      scheme: 'https',
      domain: 'app.example.com',
      path: '/B',
      query: '',
      resource: '/B',
    });
  });

  it('keeps the query in the resource', () => {
    expect(parseTarget('https://x.example.com/a?b=%63&d', 'GET')).toMatchObject({ resource: '/a?b=c&d' });
  });

  it('strips IPv6 brackets', () => {
    expect(parseTarget('https://[::1]:9091/', 'GET')).toMatchObject({ domain: '::1' });
  });

  it.each([
    ['not a url', 'GET', "'not a url' is not an absolute URL (scheme://host/path)"],
    ['https://x.example.com/', 'get', "the method 'get' is not upper-case letters"],
    ['https://x.example.com/%2f', 'GET', "the path '/%2f' is refused: it contains an encoded slash or backslash ('%2f')"],
    ['https://exa mple.com/', 'GET', "'https://exa mple.com/' has the host 'exa mple.com', which contains the character U+0020, which no host name has"],
  ])('refuses %s %s', (url, method, refused) => {
    expect(parseTarget(url, method)).toEqual({ refused });
  });
});

describe('characters outside the Basic Multilingual Plane (found by test/fuzz/host-and-path.test.ts)', () => {
  it('are encoded as their own UTF-8 bytes in the path, not as two U+FFFD', () => {
    expect(ok('/😀')).toBe('/%F0%9F%98%80');
    expect(ok('/😀')).not.toBe(ok('/😁'));
    // The shrunk counterexample: the raw spelling and the escaped one are one resource.
    expect(parseTarget('https://a_b.example.com://%E4%B8%AD😀%3D%41;/%2A/', 'GET')).toMatchObject({ path: '/%E4%B8%AD%F0%9F%98%80=A/*/' });
  });

  it('are encoded as their own UTF-8 bytes in the query (encodeURIComponent threw URIError on half a pair)', () => {
    expect(normalizeQuery('q=😀')).toBe('q=%F0%9F%98%80');
    expect(parseTarget('https://app.example.com/?q=😀', 'GET')).toMatchObject({ resource: '/?q=%F0%9F%98%80' });
  });
});

describe("targetOf: a '#' in a request target (found by test/fuzz/host-and-path.test.ts)", () => {
  it('is refused: servers disagree on whether it ends the path (a URL given as text drops its fragment instead)', () => {
    const authority = parseAuthority('www.example.com') as Exclude<ReturnType<typeof parseAuthority>, { reason: string }>;
    // The shrunk counterexample: '/#x' was the resource '/%23x', bypassed by a rule for '%23' where '/' needed two factors.
    expect(targetOf(requestUrl('https', authority, '/#x'), 'GET')).toEqual({ refused: "the target '/#x' has a '#', which no request target has" });
    expect(targetOf(requestUrl('https', authority, '/a?b=1#c'), 'GET')).toMatchObject({ refused: expect.stringContaining("has a '#'") });
    expect(parseTarget('https://www.example.com/#x', 'GET')).toMatchObject({ resource: '/' });
  });
});
