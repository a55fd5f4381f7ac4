import { describe, it } from 'vitest';
import { runScenarios } from './forward-auth/scenarios.js';
import { setUp } from './forward-auth/setup.js';

describe('Gatehouse proxy mode (proxy.upstreams), the same scenarios', () => {
  it('runs the forward-auth scenarios end to end', async () => {
    const e = await setUp('proxy');
    await runScenarios(e.ports.front, e.upstream, e.cookieName, e.raise);
  });
});
