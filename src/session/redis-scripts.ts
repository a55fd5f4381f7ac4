import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

/**
 * The Lua scripts behind RedisSessionStore. Each runs atomically in Redis, so the session,
 * its entry in the user's index, its end in the expiry index and its stub (who it was, for
 * single logout) change together, and each change is published on the invalidation channel
 * in the same step.
 *
 * Key layout under a prefix P (redis-store.ts): `P data:<idHash>` the encrypted session,
 * expiring at its end (a PX TTL); `P user:<tag>` the set of a user's hashes (tag: a keyed
 * hash of the username); `P ends` the sorted set of signed-in sessions by end; `P stubs` the
 * hash idHash → `<tag> <encrypted {username, sid}>`. Anonymous sessions have data only.
 * A published message is `<origin> <idHash> <idHash>…`.
 */

/** A script run by EVALSHA, loaded with EVAL when Redis does not have it (after a restart or SCRIPT FLUSH). */
export class LuaScript {
  readonly #source: string;
  readonly #sha: string;

  constructor(source: string) {
    this.#source = source;
    this.#sha = createHash('sha1').update(source).digest('hex');
  }

  async run(client: Redis, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
    try {
      return await client.evalsha(this.#sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return client.eval(this.#source, keys.length, ...keys, ...args);
    }
  }
}

/** Removes `id` from the user index named in its stub, if it has one. ARGV-free helper. */
const unindex = `
local function unindex(stubs, userPrefix, id)
  local stub = redis.call('HGET', stubs, id)
  if stub then
    redis.call('SREM', userPrefix .. string.match(stub, '^(%S+) '), id)
    redis.call('HDEL', stubs, id)
  end
  return stub
end
`;

/**
 * Saves a session. KEYS: data, ends, stubs, user set (of the new tag; unused when anonymous).
 * ARGV: idHash, encrypted state, TTL (ms), end (ms since the epoch), tag ('' when anonymous),
 * encrypted stub, user prefix, channel, message.
 */
export const saveScript = new LuaScript(`${unindex}
unindex(KEYS[3], ARGV[7], ARGV[1])
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
if ARGV[5] == '' then
  redis.call('ZREM', KEYS[2], ARGV[1])
else
  redis.call('ZADD', KEYS[2], ARGV[4], ARGV[1])
  redis.call('HSET', KEYS[3], ARGV[1], ARGV[5] .. ' ' .. ARGV[6])
  redis.call('SADD', KEYS[4], ARGV[1])
end
redis.call('PUBLISH', ARGV[8], ARGV[9])
return 1
`);

/** Deletes a session. KEYS: data, ends, stubs. ARGV: idHash, user prefix, channel, message. */
export const deleteScript = new LuaScript(`${unindex}
unindex(KEYS[3], ARGV[2], ARGV[1])
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('PUBLISH', ARGV[3], ARGV[4])
return 1
`);

/**
 * Deletes every session of a user. KEYS: user set, ends, stubs. ARGV: data prefix, channel,
 * origin. Returns [idHash, stub, …] of the sessions that had a stub.
 */
export const deleteUserScript = new LuaScript(`
local ids = redis.call('SMEMBERS', KEYS[1])
local out = {}
for _, id in ipairs(ids) do
  local stub = redis.call('HGET', KEYS[3], id)
  redis.call('DEL', ARGV[1] .. id)
  redis.call('ZREM', KEYS[2], id)
  redis.call('HDEL', KEYS[3], id)
  if stub then
    out[#out + 1] = id
    out[#out + 1] = stub
  end
end
redis.call('DEL', KEYS[1])
if #ids > 0 then redis.call('PUBLISH', ARGV[2], ARGV[3] .. ' ' .. table.concat(ids, ' ')) end
return out
`);

/**
 * Claims up to `limit` signed-in sessions whose end is at or before `now`: each is removed
 * from every index as it is returned, so of several instances purging at once exactly one
 * gets it. KEYS: ends, stubs. ARGV: now, limit, data prefix, user prefix, channel, origin.
 * Returns [idHash, stub, …].
 */
export const purgeScript = new LuaScript(`${unindex}
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
local out = {}
for _, id in ipairs(ids) do
  local stub = unindex(KEYS[2], ARGV[4], id)
  redis.call('ZREM', KEYS[1], id)
  redis.call('DEL', ARGV[3] .. id)
  if stub then
    out[#out + 1] = id
    out[#out + 1] = stub
  end
end
if #ids > 0 then redis.call('PUBLISH', ARGV[5], ARGV[6] .. ' ' .. table.concat(ids, ' ')) end
return out
`);
