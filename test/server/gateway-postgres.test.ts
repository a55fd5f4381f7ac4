import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { dump } from 'js-yaml';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import type { Gateway } from '../../src/server/gateway.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/config.js';
import { startTestGateway, testConfig, injectListener } from '../helpers/gateway.js';
import { dropSchema, freshSchemaName, postgresSkipReason, query, testPostgres } from '../helpers/postgres.js';
import { freePort } from '../helpers/ports.js';

/** Gateways on `storage.postgres`: start-up against an unreachable server, and instances starting together. */
const skip = await postgresSkipReason();
const schemas: string[] = [];

function postgres(overrides: Record<string, unknown> = {}) {
  const schema = freshSchemaName();
  schemas.push(schema);
  return {
    encryption_key: 'a-very-long-test-encryption-key',
    postgres: {
      address: `tcp://${testPostgres.host}:${testPostgres.port}`,
      database: testPostgres.database,
      username: testPostgres.user,
      schema,
      ...overrides,
    },
  };
}

const oidc = {
  hmac_secret: 'a-very-long-hmac-secret-for-tests',
  clients: [
    {
      client_id: 'app',
      client_secret: 'confidential-client-secret-0123456789',
      redirect_uris: ['https://app.example.com/cb'],
      id_token_signed_response_alg: 'ES256',
    },
  ],
};

async function jwks(gateway: Gateway): Promise<string[]> {
  const reply = await injectListener(gateway, {
    url: '/jwks.json',
    remoteAddress: '127.0.0.1',
    headers: { host: 'auth.example.com', 'x-forwarded-proto': 'https' },
  });
  expect(reply.statusCode).toBe(200);
  return (reply.json() as { keys: { kid: string }[] }).keys.map((k) => k.kid).sort();
}

describe('gateways on storage.postgres', () => {
  beforeEach((ctx) => {
    if (skip) ctx.skip(skip);
  });
  afterAll(async () => {
    for (const schema of schemas) await dropSchema(schema);
  });

  it('start together on a new schema, migrate it once and publish one key set', async () => {
    const storage = postgres();
    const started = await Promise.all([1, 2].map(() => startTestGateway(testConfig({ storage, identity_providers: { oidc } }))));
    expect(started.map((g) => g.storage.provider)).toEqual(['postgres', 'postgres']);
    const migrated = await query<{ version: number }>(`SELECT version FROM ${storage.postgres.schema}.migrations ORDER BY version`);
    expect(migrated.map((m) => m.version)).toEqual([1, 2, 3, 4, 5, 6]);
    const [a, b] = await Promise.all(started.map(jwks));
    expect(a).toHaveLength(2);
    expect(b).toEqual(a);
    const health = await injectListener(started[1]!, { url: '/api/health' });
    expect(health.statusCode).toBe(200);
  });

  it('exits non-zero when PostgreSQL cannot be reached, naming storage.postgres.address and the address', async () => {
    const dir = tempDir();
    const port = await freePort();
    const file = join(dir, 'gatehouse.yml');
    writeFileSync(
      file,
      dump({
        server: { address: 'tcp://127.0.0.1:0' },
        session: { cookies: [{ domain: 'example.com', portal_url: 'https://auth.example.com' }] },
        storage: postgres({ address: `tcp://127.0.0.1:${port}` }),
      }),
    );
    const result = await runCli(['serve', '--config', file]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`storage.postgres.address: cannot connect to 'tcp://127.0.0.1:${port}': nothing accepts connections there (ECONNREFUSED)`);
  });
});
