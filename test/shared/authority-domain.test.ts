import { describe, expect, it } from 'vitest';
import { allowsPlainHttp, isWithinDomain } from '../../src/shared/authority.js';

describe('isWithinDomain', () => {
  it.each([
    ['example.com', 'example.com'],
    ['app.example.com', 'example.com'],
    ['a.b.example.com', 'example.com'],
    ['App.Example.COM', 'example.com'],
    ['app.example.com.', 'example.com'],
  ])('%s is within %s', (hostname, domain) => {
    expect(isWithinDomain(hostname, domain)).toBe(true);
  });

  it.each([
    ['badexample.com', 'example.com'],
    ['example.com.evil.net', 'example.com'],
    ['com', 'example.com'],
    ['example.org', 'example.com'],
    ['app.example.com..', 'example.com'],
  ])('%s is not within %s', (hostname, domain) => {
    expect(isWithinDomain(hostname, domain)).toBe(false);
  });
});

describe('allowsPlainHttp', () => {
  it.each(['localhost', 'example.localhost', 'a.b.localhost'])('allows plain http for %s', (domain) => {
    expect(allowsPlainHttp(domain)).toBe(true);
  });

  it.each(['example.com', 'localhost.example.com', 'notlocalhost', 'mylocalhost'])('refuses plain http for %s', (domain) => {
    expect(allowsPlainHttp(domain)).toBe(false);
  });
});
