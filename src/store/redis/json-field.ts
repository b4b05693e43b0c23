/**
 * Compare-and-set of one string field inside a record stored as JSON (a
 * client's `secret_hash`, a user's `password_hash`), in one Lua step: the
 * field is swapped only while it still holds the expected value, so a rehash
 * never undoes a change made meanwhile.
 *
 * A plain substring swap of `"<field>":<value as JSON>` rather than cjson
 * decode/encode, which would turn empty arrays into objects. JSON.stringify
 * writes no spaces and escapes every quote inside a string value, so the
 * pattern cannot be matched inside another field.
 */
import { guarded, type RedisClient } from './connection.js';
import { defineScript, type RedisContext } from './context.js';

// KEYS: record. ARGV: the field with its expected value, the same with the new one.
const SWAP = `
local current = redis.call('GET', KEYS[1])
if not current then return 0 end
local at = string.find(current, ARGV[1], 1, true)
if not at then return 0 end
redis.call('SET', KEYS[1], string.sub(current, 1, at - 1) .. ARGV[2] .. string.sub(current, at + string.len(ARGV[1])), 'KEEPTTL')
return 1`;

interface SwapScript {
  tesseraSwapJsonField(key: string, expected: string, next: string): Promise<number>;
}

/** Registers the script on the store's connections (idempotent). */
export function defineJsonFieldSwap(ctx: RedisContext): void {
  defineScript(ctx, 'tesseraSwapJsonField', 1, SWAP);
}

/** True when `field` held `expected` and now holds `next`. One key: fits any slot. */
export async function swapJsonField(ctx: RedisContext, key: string, field: string, expected: string, next: string): Promise<boolean> {
  const pair = (value: string) => `${JSON.stringify(field)}:${JSON.stringify(value)}`;
  return (await guarded(() => (ctx.redis as RedisClient & SwapScript).tesseraSwapJsonField(key, pair(expected), pair(next)))) === 1;
}
