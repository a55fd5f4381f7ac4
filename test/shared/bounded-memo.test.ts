import { describe, expect, it } from 'vitest';
import { trustFunction, trustMemoSize } from '../../src/server/trust.js';
import { boundedMemo } from '../../src/shared/bounded-memo.js';
import { canonicalIp, canonicalIpMemoSize } from '../../src/shared/client-ip.js';
import { authorityMemoSize, authorityOf } from '../../src/shared/authority.js';
import { readRequestView } from '../../src/shared/http/request-view.js';
import type { IncomingMessage } from 'node:http';

describe('bounded memos on the hot path (issue 14, item 3: every cache has a bound)', () => {
  it('computes once per key, and never holds more than its bound, whatever the flood', () => {
    let calls = 0;
    const memo = boundedMemo(3, (n: number) => {
      calls++;
      return n * 2;
    });
    expect([memo(1), memo(1), memo(2)]).toEqual([2, 2, 4]);
    expect(calls).toBe(2);
    for (let i = 0; i < 10_000; i++) {
      memo(i);
      expect(memo.size).toBeLessThanOrEqual(3);
    }
    expect(memo(9_999)).toBe(19_998);
    expect(() => boundedMemo(0, (x: number) => x)).toThrow(RangeError);
  });

  it('remembers an undefined answer too', () => {
    let calls = 0;
    const memo = boundedMemo(2, (_: string) => {
      calls++;
      return undefined;
    });
    memo('a');
    memo('a');
    expect(calls).toBe(1);
  });

  it('keeps the canonical address memo within its bound under a flood of distinct clients', () => {
    for (let i = 0; i < canonicalIpMemoSize + 500; i++) canonicalIp(`::ffff:10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
    expect(canonicalIp.size).toBeLessThanOrEqual(canonicalIpMemoSize);
    expect(canonicalIp('::ffff:10.0.0.8')).toBe('10.0.0.8');
  });

  it('answers the trust test the same from memory, within its bound', () => {
    const trust = trustFunction(['10.0.0.0/8']);
    for (let i = 0; i < trustMemoSize * 2; i++) expect(trust(`10.0.${(i >> 8) & 255}.${i & 255}`, 0)).toBe(true);
    expect(trust('192.0.2.1', 0)).toBe(false);
    expect(trust('192.0.2.1', 0)).toBe(false);
  });

  it('parses each Host text once and keeps at most authorityMemoSize of them; a bad host stays refused', () => {
    const ask = (host: string) =>
      readRequestView(
        { headers: { host }, rawHeaders: ['Host', host], url: '/', socket: { remoteAddress: '192.0.2.1' } } as unknown as IncomingMessage,
        () => false,
      );
    const first = ask('App.Example.com');
    const again = ask('App.Example.com');
    expect(first).toEqual(again);
    expect('host' in first && first.host).toEqual({ hostname: 'app.example.com', port: undefined, host: 'app.example.com' });
    expect('host' in first && Object.isFrozen(first.host)).toBe(true);
    for (let i = 0; i < authorityMemoSize * 3; i++) {
      ask(`h${i}.example.com`);
      expect(authorityOf.size).toBeLessThanOrEqual(authorityMemoSize);
    }
    expect(ask('a..b')).toMatchObject({ header: 'Host' });
    expect(ask('a..b')).toMatchObject({ header: 'Host' });
  });
});
