import { describe, expect, it } from 'vitest';
import { configOf, minimalRaw, problemsOf } from '../helpers/config.js';

const raw = (upstreams: unknown) => minimalRaw('/tmp/gh', { proxy: { upstreams } });

describe('proxy.upstreams', () => {
  it('reads an upstream with defaults', () => {
    const config = configOf(raw([{ domain: 'App.Example.com.', target: 'http://127.0.0.1:8080' }]));
    expect(config.proxy.upstreams).toEqual([
      { domain: 'app.example.com', pathPrefix: '/', target: new URL('http://127.0.0.1:8080'), preserveHost: true, websocket: false, timeout: 60_000 },
    ]);
    const full = configOf(
      raw([{ domain: 'app.example.com', path_prefix: '/api', target: 'https://10.0.0.2:8443/', preserve_host: false, websocket: true, timeout: '5s' }]),
    );
    expect(full.proxy.upstreams[0]).toMatchObject({ pathPrefix: '/api/', preserveHost: false, websocket: true, timeout: 5000 });
    expect(configOf(minimalRaw('/tmp/gh')).proxy.upstreams).toEqual([]);
  });

  it('reports every problem with its dotted path', () => {
    expect(
      problemsOf(
        raw([
          { domain: 'app.other.org', target: 'http://127.0.0.1:1' },
          { domain: 'auth.example.com', target: 'http://127.0.0.1:1' },
          { domain: 'https://app.example.com', target: 'http://127.0.0.1:1' },
          { domain: 'app.example.com', path_prefix: '/a/../b', target: 'http://127.0.0.1:1/path' },
          { domain: 'app.example.com', target: 'ftp://x', timeout: 'soon', websocket: 'yes', path_prefx: '/' },
          { domain: 'app.example.com', target: 'http://127.0.0.1:1' },
          { domain: 'app.example.com', path_prefix: '/', target: 'http://127.0.0.1:2' },
          'app.example.com',
        ]),
      ),
    ).toEqual([
      "proxy.upstreams[0].domain: must be under a session cookie domain ('example.com') but is 'app.other.org'",
      "proxy.upstreams[1].domain: must not be the portal's host (session cookie 'example.com' portal_url) but is 'auth.example.com'",
      "proxy.upstreams[2].domain: must be a host name such as 'app.example.com' (no scheme, port or path) but is 'https://app.example.com', which must not contain a port or a colon",
      "proxy.upstreams[3].path_prefix: must be a path such as '/' or '/app/' (no '.', '..', '//', '%', '?' or '#') but is '/a/../b'",
      "proxy.upstreams[3].target: must be an http or https origin such as 'http://127.0.0.1:8080' (no path, query or user name) but is 'http://127.0.0.1:1/path'",
      "proxy.upstreams[4].path_prefx: is not a known key, did you mean 'path_prefix'?",
      "proxy.upstreams[4].target: must be an http or https origin such as 'http://127.0.0.1:8080' (no path, query or user name) but is 'ftp://x'",
      "proxy.upstreams[4].websocket: must be true or false but is 'yes'",
      "proxy.upstreams[4].timeout: must be a duration such as '90s', '1h30m', '5 minutes', '2 days' or a number of seconds but is 'soon'",
      "proxy.upstreams[6].path_prefix: must not repeat the domain and path prefix of proxy.upstreams[5] but is '/'",
      "proxy.upstreams[7]: must be a mapping but is 'app.example.com'",
    ]);
  });

  it('reads the domain in the form request hosts are compared in (punycode, lower case, no trailing dot)', () => {
    const config = configOf(
      raw([
        { domain: 'Bücher.Example.com.', target: 'http://127.0.0.1:8080' },
        { domain: 'xn--bcher-kva.example.com', path_prefix: '/api', target: 'http://127.0.0.1:8081' },
      ]),
    );
    expect(config.proxy.upstreams.map((u) => `${u.domain}${u.pathPrefix}`)).toEqual(['xn--bcher-kva.example.com/', 'xn--bcher-kva.example.com/api/']);
    expect(
      problemsOf(
        raw([
          { domain: 'bücher.example.com', target: 'http://127.0.0.1:1' },
          { domain: 'xn--bcher-kva.example.com.', target: 'http://127.0.0.1:2' },
        ]),
      ),
    ).toEqual(["proxy.upstreams[1].path_prefix: must not repeat the domain and path prefix of proxy.upstreams[0] but is '/'"]);
  });

  it('refuses a domain that no request host can have', () => {
    expect(
      problemsOf(
        raw([
          { domain: 'app..example.com', target: 'http://127.0.0.1:1' },
          { domain: 'app.example.com..', target: 'http://127.0.0.1:1' },
          { domain: 'app.example.com:8443', target: 'http://127.0.0.1:1' },
          { domain: 'app example.com', target: 'http://127.0.0.1:1' },
        ]),
      ),
    ).toEqual([
      "proxy.upstreams[0].domain: must be a host name such as 'app.example.com' (no scheme, port or path) but is 'app..example.com', which has an empty label (two dots in a row, or a leading or second trailing dot)",
      "proxy.upstreams[1].domain: must be a host name such as 'app.example.com' (no scheme, port or path) but is 'app.example.com..', which has an empty label (two dots in a row, or a leading or second trailing dot)",
      "proxy.upstreams[2].domain: must be a host name such as 'app.example.com' (no scheme, port or path) but is 'app.example.com:8443', which must not contain a port or a colon",
      "proxy.upstreams[3].domain: must be a host name such as 'app.example.com' (no scheme, port or path) but is 'app example.com', which contains the character U+0020, which no host name has",
    ]);
  });

  it('is no longer a pending section', () => {
    expect(configOf(raw([])).pending).toEqual({});
  });
});
