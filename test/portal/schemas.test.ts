import { describe, expect, it } from 'vitest';
import { startProvider } from '../helpers/oidc.js';
import { PortalClient } from '../helpers/portal.js';
import { injectListener } from '../helpers/gateway.js';

/**
 * The portal routes' schemas (TypeBox, validated by fastify's ajv without type coercion) refuse
 * what they refused before the edge was typed, with the same 400 and the same KO message.
 */
describe('portal route schemas', () => {
  const ko = (message: string) => [400, { status: 'KO', message }];

  it.each([
    ['a password that is a number', '/api/firstfactor', { username: 'john', password: 3 }, 'body/password must be string'],
    ['a boolean sent as text', '/api/firstfactor', { username: 'john', password: 'password', keepMeLoggedIn: 'true' }, 'body/keepMeLoggedIn must be boolean'],
    ['a missing password', '/api/firstfactor', { username: 'john' }, "body must have required property 'password'"],
    ['an empty username', '/api/firstfactor', { username: '', password: 'x' }, 'body/username must NOT have fewer than 1 characters'],
    ['a body that is not an object', '/api/firstfactor', 'john', 'body must be object'],
    [
      'an over-long target',
      '/api/firstfactor',
      { username: 'john', password: 'password', targetURL: 'x'.repeat(8193) },
      'body/targetURL must NOT have more than 8192 characters',
    ],
    ['a missing one-time code', '/api/secondfactor/totp', { targetURL: 'http://app.gatehouse.localhost/' }, "body must have required property 'token'"],
    ['a list where an object is expected', '/api/secondfactor/totp/identity/start', [], 'body must be object'],
    ['an over-long e-mailed code', '/api/secondfactor/totp/identity/finish', { code: 'x'.repeat(65) }, 'body/code must NOT have more than 64 characters'],
    ['a logout target that is not text', '/api/logout', { targetURL: 1 }, 'body/targetURL must be string'],
  ])('JSON API: refuses %s', async (_name, url, body, message) => {
    const { gateway } = await startProvider();
    const reply = await new PortalClient(gateway).postJson(url, body);
    expect([reply.status, reply.json()]).toEqual(ko(message));
  });

  it.each([
    ['a login form without a password', '/login', { username: 'john' }, "body must have required property 'password'"],
    ['an over-long one-time code', '/2fa', { token: '1'.repeat(17) }, 'body/token must NOT have more than 16 characters'],
    [
      'a consent decision that is neither accept nor deny',
      '/consent',
      { flow_id: 'x', decision: 'maybe' },
      'body/decision must be equal to one of the allowed values',
    ],
    ['a consent form without a flow', '/consent', { decision: 'accept' }, "body must have required property 'flow_id'"],
  ])('forms: refuse %s', async (_name, url, fields, message) => {
    const { gateway } = await startProvider();
    const reply = await new PortalClient(gateway).postForm(url, fields);
    expect([reply.status, reply.json()]).toEqual(ko(message));
  });

  it.each([
    ['an over-long rd', `/?rd=${'a'.repeat(8193)}`, 'querystring/rd must NOT have more than 8192 characters'],
    ['an over-long rm', '/2fa?rm=GETGETGETGETGETGET', 'querystring/rm must NOT have more than 16 characters'],
    ['a consent page without a flow', '/consent', "querystring must have required property 'flow_id'"],
    ['an empty flow', '/consent?flow_id=', 'querystring/flow_id must NOT have fewer than 1 characters'],
  ])('pages: refuse %s', async (_name, url, message) => {
    const { gateway } = await startProvider();
    const reply = await new PortalClient(gateway).get(url);
    expect([reply.status, reply.json()]).toEqual(ko(message));
  });

  it('refuses a sign-out form whose rd is repeated (POST /logout declares the rd it reads)', async () => {
    const { gateway } = await startProvider();
    const client = new PortalClient(gateway);
    const reply = await injectListener(gateway, {
      method: 'POST',
      url: '/logout',
      payload: 'rd=http%3A%2F%2Fhome.gatehouse.localhost%2F&rd=http%3A%2F%2Fevil.example%2F',
      headers: { host: 'auth.gatehouse.localhost', 'content-type': 'application/x-www-form-urlencoded', origin: 'http://auth.gatehouse.localhost' },
    });
    expect([reply.statusCode, reply.json()]).toEqual(ko('body/rd must be string'));
    const one = await client.postForm('/logout', { rd: 'http://home.gatehouse.localhost/' });
    expect([one.status, one.headers.location]).toEqual([303, 'http://home.gatehouse.localhost/']);
  });
});
