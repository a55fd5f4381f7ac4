import { describe, expect, it } from 'vitest';
import { audienceCovers } from '../../src/authz/bearer-audience.js';
import { parseBearer } from '../../src/authz/bearer-strategy.js';
import { isRefusal, parseTarget, type Target } from '../../src/rules/target.js';
import { parseRequestUrl } from '../../src/shared/request-url.js';

function covers(audience: string[], url: string): boolean {
  const target = parseTarget(url, 'GET') as Target;
  if (isRefusal(target)) throw new Error(target.refused);
  const parsed = parseRequestUrl(url);
  if ('reason' in parsed) throw new Error(parsed.reason);
  return audienceCovers(audience, target, parsed.authority);
}

describe('audienceCovers (Authelia’s audience strategy: scheme, host and port, path on a segment boundary)', () => {
  it.each([
    [['https://app.example.com'], 'https://app.example.com/', true],
    [['https://app.example.com'], 'https://app.example.com/any/path?q=1', true],
    [['https://app.example.com/'], 'https://app.example.com/x', true],
    [['https://App.Example.com'], 'https://app.example.com/x', true],
    [['https://app.example.com/api'], 'https://app.example.com/api', true],
    [['https://app.example.com/api'], 'https://app.example.com/api/', true],
    [['https://app.example.com/api'], 'https://app.example.com/api/v1?x', true],
    [['https://app.example.com/api/'], 'https://app.example.com/api', true],
    [['https://app.example.com/api'], 'https://app.example.com/apix', false],
    [['https://app.example.com/api'], 'https://app.example.com/', false],
    [['https://app.example.com/api'], 'https://app.example.com/API/v1', false],
    // dot segments and encodings are compared in the rules' canonical form
    [['https://app.example.com/api'], 'https://app.example.com/api/../admin', false],
    [['https://app.example.com/api'], 'https://app.example.com/%61pi/v1', true],
    [['https://app.example.com'], 'http://app.example.com/', false],
    [['https://app.example.com'], 'https://app.example.com:443/', true],
    [['https://app.example.com:443'], 'https://app.example.com/', true],
    [['https://app.example.com'], 'https://app.example.com:8443/', false],
    [['https://app.example.com:8443'], 'https://app.example.com:8443/', true],
    [['https://app.example.com'], 'https://other.example.com/', false],
    [['https://example.com'], 'https://app.example.com/', false],
    [['https://app.example.com?x=1#f'], 'https://app.example.com/p', true],
    [['confidential', 'not a url'], 'https://app.example.com/', false],
    [['ftp://app.example.com'], 'https://app.example.com/', false],
    [[], 'https://app.example.com/', false],
    [['https://[2001:db8::1]'], 'https://[2001:db8::1]/x', true],
    [['wss://live.example.com/socket'], 'wss://live.example.com/socket', true],
  ])('%j covers %s: %s', (audience, url, expected) => {
    expect(covers(audience, url)).toBe(expected);
  });
});

describe('parseBearer (RFC 6750 §2.1)', () => {
  it.each([
    [undefined, undefined],
    ['Basic am9objpwYXNz', undefined],
    ['Bearer abc.DEF-_~+/==', 'abc.DEF-_~+/=='],
    ['bearer abc', 'abc'],
    ['BEARER  abc ', 'abc'],
    ['Bearer', 'malformed'],
    ['Bearer ', 'malformed'],
    ['Bearer a b', 'malformed'],
    ['Bearer a"b', 'malformed'],
    ['Bearer\tabc', 'malformed'],
    ['Bearerabc', undefined],
  ])('%j → %j', (header, expected) => {
    expect(parseBearer(header)).toBe(expected);
  });
});
