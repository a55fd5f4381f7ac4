import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { configOf, minimalRaw, problemsOf, tempDir } from '../helpers/config.js';

const base = minimalRaw('/tmp/gatehouse');
const cookies = [{ domain: 'example.com', portal_url: 'https://auth.example.com' }];
const secret = 'a-very-long-session-secret';
const withRedis = (redis: unknown, session: Record<string, unknown> = { secret }) => ({ ...base, session: { cookies, ...session, redis } });

function certificate(dir: string, name: string): { chain: string; key: string } {
  const keyFile = join(dir, `${name}.key`);
  const certFile = join(dir, `${name}.pem`);
  const args = ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', `/CN=${name}`];
  execFileSync('openssl', [...args, '-keyout', keyFile, '-out', certFile], { stdio: 'ignore' });
  return { chain: readFileSync(certFile, 'utf8'), key: readFileSync(keyFile, 'utf8') };
}

describe('session.redis', () => {
  it("defaults as Authelia's", () => {
    const { session } = configOf(withRedis({ host: 'redis.internal' }));
    expect(session.secret).toBe(secret);
    expect(session.redis).toEqual({
      host: 'redis.internal',
      socket: false,
      port: 6379,
      timeout: 5000,
      maxRetries: 0,
      username: undefined,
      password: undefined,
      databaseIndex: 0,
      maximumActiveConnections: 8,
      minimumIdleConnections: 0,
      tls: undefined,
      highAvailability: undefined,
    });
  });

  it('is absent without the key, and session.secret is then optional', () => {
    expect(configOf(base).session.redis).toBeUndefined();
  });

  it('reads every key; a unix socket path, an IPv6 literal, TLS versions and server name', () => {
    const { session } = configOf(
      withRedis({
        host: '/run/redis/redis.sock',
        port: 6380,
        timeout: '2s',
        max_retries: 2,
        username: 'gatehouse',
        password: 'redis-password',
        database_index: 3,
        maximum_active_connections: 4,
        minimum_idle_connections: 2,
        tls: { skip_verify: true, minimum_version: 'TLS1.3', server_name: 'redis.example.com' },
      }),
    );
    expect(session.redis).toMatchObject({
      host: '/run/redis/redis.sock',
      socket: true,
      port: 6380,
      timeout: 2000,
      maxRetries: 2,
      username: 'gatehouse',
      password: 'redis-password',
      databaseIndex: 3,
      maximumActiveConnections: 4,
      minimumIdleConnections: 2,
      tls: { serverName: 'redis.example.com', skipVerify: true, minimumVersion: 'TLSv1.3', maximumVersion: 'TLSv1.3' },
    });
    const v6 = configOf(withRedis({ host: '[fd00::1]', tls: {} })).session.redis;
    expect(v6).toMatchObject({
      host: 'fd00::1',
      socket: false,
      tls: { serverName: 'fd00::1', skipVerify: false, minimumVersion: 'TLSv1.2', maximumVersion: 'TLSv1.3' },
    });
  });

  it('reads the passwords and the TLS private key as secrets (GATEHOUSE_<PATH> and _FILE)', () => {
    const dir = tempDir();
    const { chain, key } = certificate(dir, 'client');
    writeFileSync(join(dir, 'sentinel-password'), 'sentinel-secret\n');
    const raw = withRedis({ host: 'redis', tls: { certificate_chain: chain }, high_availability: { sentinel_name: 'main' } }, {});
    const { config } = parseConfig(raw, {
      baseDir: dir,
      env: {
        GATEHOUSE_SESSION_SECRET: secret,
        GATEHOUSE_SESSION_REDIS_PASSWORD: 'redis-password',
        GATEHOUSE_SESSION_REDIS_TLS_PRIVATE_KEY: key,
        GATEHOUSE_SESSION_REDIS_HIGH_AVAILABILITY_SENTINEL_PASSWORD_FILE: 'sentinel-password',
      },
    });
    expect(config.session.secret).toBe(secret);
    expect(config.session.redis?.password).toBe('redis-password');
    expect(config.session.redis?.tls?.privateKey).toBe(key);
    expect(config.session.redis?.highAvailability?.sentinelPassword).toBe('sentinel-secret');
  });

  it('high_availability: session.redis.host is the first Sentinel, ports default to 26379', () => {
    const { redis } = configOf(
      withRedis({
        host: 'sentinel-0',
        high_availability: {
          sentinel_name: 'main',
          sentinel_username: 'watcher',
          sentinel_password: 'sentinel-secret',
          nodes: [{ host: 'sentinel-1' }, { host: 'sentinel-2', port: 26380 }],
        },
      }),
    ).session;
    expect(redis?.port).toBe(26379);
    expect(redis?.highAvailability).toEqual({
      sentinelName: 'main',
      sentinelUsername: 'watcher',
      sentinelPassword: 'sentinel-secret',
      nodes: [
        { host: 'sentinel-0', port: 26379 },
        { host: 'sentinel-1', port: 26379 },
        { host: 'sentinel-2', port: 26380 },
      ],
      routeByLatency: false,
      routeRandomly: false,
    });
    const nodesOnly = configOf(withRedis({ high_availability: { sentinel_name: 'main', nodes: [{ host: 'sentinel-1' }] } })).session.redis;
    expect(nodesOnly?.host).toBeUndefined();
    expect(nodesOnly?.highAvailability?.nodes).toEqual([{ host: 'sentinel-1', port: 26379 }]);
  });

  it('warns that route_by_latency and route_randomly have no effect', () => {
    const raw = withRedis({ host: 'sentinel-0', high_availability: { sentinel_name: 'main', route_by_latency: true, route_randomly: true } });
    expect(parseConfig(raw, { env: {}, baseDir: '/tmp' }).warnings).toEqual([
      "session.redis.high_availability.route_by_latency: has no effect: Gatehouse reads sessions from the master only (a replica's lag could let a revoked session pass)",
      "session.redis.high_availability.route_randomly: has no effect: Gatehouse reads sessions from the master only (a replica's lag could let a revoked session pass)",
    ]);
  });

  it('accepts a matching client certificate and key (mutual TLS)', () => {
    const { chain, key } = certificate(tempDir(), 'client');
    const tls = configOf(withRedis({ host: 'redis', tls: { certificate_chain: chain, private_key: key } })).session.redis?.tls;
    expect(tls).toMatchObject({ certificateChain: chain, privateKey: key, serverName: 'redis' });
  });

  it.each<[string, unknown, Record<string, unknown> | undefined, string[]]>([
    ['no secret', { host: 'redis' }, {}, ['session.secret: must be set when session.redis is configured (it encrypts the sessions kept there) but is absent']],
    [
      'a short secret',
      { host: 'redis' },
      { secret: 'short' },
      ['session.secret: must be at least 20 characters when session.redis is configured but is 5 characters'],
    ],
    ['no host', {}, undefined, ['session.redis.host: must be set but is absent']],
    ['not a mapping', 'redis://localhost', undefined, ["session.redis: must be a mapping but is 'redis://localhost'"]],
    ['unknown key', { host: 'redis', databse_index: 1 }, undefined, ["session.redis.databse_index: is not a known key, did you mean 'database_index'?"]],
    [
      'a host that is no host',
      { host: 'redis://redis:6379' },
      undefined,
      ["session.redis.host: must be a host name, an IP address ('[…]' around IPv6) or an absolute unix socket path but is 'redis://redis:6379'"],
    ],
    ['port out of range', { host: 'redis', port: 70000 }, undefined, ['session.redis.port: must be at most 65535 but is 70000']],
    ['port not a number', { host: 'redis', port: '6379' }, undefined, ["session.redis.port: must be a whole number but is '6379'"]],
    ['negative database', { host: 'redis', database_index: -1 }, undefined, ['session.redis.database_index: must be at least 0 but is -1']],
    ['timeout too short', { host: 'redis', timeout: '0s' }, undefined, ["session.redis.timeout: must be at least 1 seconds but is '0s'"]],
    ['negative retries', { host: 'redis', max_retries: -1 }, undefined, ['session.redis.max_retries: must be at least 0 but is -1']],
    ['one connection', { host: 'redis', maximum_active_connections: 1 }, undefined, ['session.redis.maximum_active_connections: must be at least 2 but is 1']],
    [
      'more idle than active',
      { host: 'redis', maximum_active_connections: 4, minimum_idle_connections: 5 },
      undefined,
      ['session.redis.minimum_idle_connections: must not be above maximum_active_connections (4) but is 5'],
    ],
    [
      'TLS versions',
      { host: 'redis', tls: { minimum_version: 'TLS1.3', maximum_version: 'TLS1.2', skip_verify: 'no' } },
      undefined,
      [
        "session.redis.tls.minimum_version: must not be above maximum_version ('TLS1.2') but is 'TLS1.3'",
        "session.redis.tls.skip_verify: must be true or false but is 'no'",
      ],
    ],
    [
      'an unknown TLS version',
      { host: 'redis', tls: { minimum_version: 'SSL3.0' } },
      undefined,
      ["session.redis.tls.minimum_version: must be one of 'TLS1.0', 'TLS1.1', 'TLS1.2', 'TLS1.3' but is 'SSL3.0'"],
    ],
    [
      'a certificate without its key',
      { host: 'redis', tls: { certificate_chain: 'x' } },
      undefined,
      ['session.redis.tls.private_key: must be set when certificate_chain is set (mutual TLS needs both) but is absent'],
    ],
    [
      'a certificate that is not PEM',
      { host: 'redis', tls: { certificate_chain: 'not a certificate', private_key: 'not a key' } },
      undefined,
      ["session.redis.tls.certificate_chain: must hold PEM certificates ('-----BEGIN CERTIFICATE-----' …) but cannot be read as one"],
    ],
    [
      'high availability without a name or a Sentinel',
      { high_availability: { sentinel_username: 'watcher', nodes: [] } },
      undefined,
      [
        'session.redis.high_availability.sentinel_name: must be set but is absent',
        'session.redis.high_availability.sentinel_password: must be set when sentinel_username is set but is absent',
        'session.redis.high_availability.nodes: must list at least one Sentinel when session.redis.host is absent but is empty',
      ],
    ],
    [
      'a Sentinel node without a host',
      { high_availability: { sentinel_name: 'main', nodes: [{ port: 26379 }, { host: 'sentinel-1', port: 0 }] } },
      undefined,
      [
        'session.redis.high_availability.nodes[0].host: must be set but is absent',
        'session.redis.high_availability.nodes[1].port: must be at least 1 but is 0',
      ],
    ],
    [
      'a unix socket as a Sentinel',
      { host: '/run/redis.sock', high_availability: { sentinel_name: 'main' } },
      undefined,
      ["session.redis.host: must be a Sentinel's host name with high_availability, not a unix socket, but is '/run/redis.sock'"],
    ],
  ])('refuses %s', (_name, redis, session, expected) => {
    expect(problemsOf(withRedis(redis, session))).toEqual(expected);
  });

  it('refuses a private key that does not belong to the certificate', () => {
    const dir = tempDir();
    const ours = certificate(dir, 'client');
    const other = certificate(dir, 'other');
    expect(problemsOf(withRedis({ host: 'redis', tls: { certificate_chain: ours.chain, private_key: other.key } }))).toEqual([
      'session.redis.tls.private_key: must be the private key of the first certificate of certificate_chain but is another key',
    ]);
    expect(problemsOf(withRedis({ host: 'redis', tls: { certificate_chain: ours.chain, private_key: 'garbage' } }))).toEqual([
      "session.redis.tls.private_key: must be a PEM private key ('-----BEGIN PRIVATE KEY-----' …) but cannot be read as one",
    ]);
  });
});
