/**
 * A lease (or lock) held by one named holder until a time: the background
 * jobs' leases and the signing keys' rotation lock are both this.
 */

// KEYS: lease. ARGV: holder, until (ms since the epoch). Taken when free or already ours.
export const ACQUIRE_LEASE = `
local v = redis.call('GET', KEYS[1])
if v and v ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PXAT', ARGV[2])
return 1`;

// KEYS: lease. ARGV: holder. Only its holder lets it go.
export const RELEASE_LEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 1`;
