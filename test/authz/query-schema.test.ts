import { describe, expect, it } from 'vitest';
import { ask, basic, flavours } from './ask.js';
import { password, startAuthzGateway } from './fixtures.js';

/**
 * The forward-auth routes' query schema (TypeBox, fastify's ajv without coercion): what it refused
 * before the edge was typed is refused with the same 400, and what it accepts is read typed.
 */
describe('forward-auth query schema', () => {
  const ko = (message: string) => [400, { status: 'KO', message }];

  it.each(flavours.filter((f) => f !== 'ext-authz'))('%s: refuses an over-long or repeated override with the same 400', async (flavour) => {
    const w = await startAuthzGateway();
    const target = 'https://app.example.com/';
    const long = await ask(w, flavour, target, { query: `portal_url=${'a'.repeat(2049)}` });
    expect([long.status, JSON.parse(long.body)]).toEqual(ko('querystring/portal_url must NOT have more than 2048 characters'));
    const repeated = await ask(w, flavour, target, { query: 'rd=https%3A%2F%2Fauth.example.com&rd=https%3A%2F%2Fevil.tld' });
    expect([repeated.status, JSON.parse(repeated.body)]).toEqual(ko('querystring/rd must be string'));
  });

  it('ext-authz: the query of the forwarded path is the one validated', async () => {
    const w = await startAuthzGateway();
    const refused = await ask(w, 'ext-authz', `https://app.example.com/?auth=${'b'.repeat(17)}`);
    expect([refused.status, JSON.parse(refused.body)]).toEqual(ko('querystring/auth must NOT have more than 16 characters'));
  });

  it('legacy: reads the typed auth and rd parameters', async () => {
    const w = await startAuthzGateway();
    const target = 'https://app.example.com/';
    const missing = await ask(w, 'legacy', target, { query: 'auth=basic' });
    expect([missing.status, missing.headers['www-authenticate']]).toEqual([401, 'Basic realm="Authorization Required"']);
    const allowed = await ask(w, 'legacy', target, { query: 'auth=basic', headers: { authorization: basic('john', password) } });
    expect([allowed.status, allowed.headers['remote-user']]).toEqual([200, 'john']);
    const portal = await ask(w, 'legacy', target, { query: `rd=${encodeURIComponent('https://auth.example.com')}` });
    expect(portal.headers.location).toBe(`https://auth.example.com/?rd=${encodeURIComponent(target)}&rm=GET`);
  });
});
