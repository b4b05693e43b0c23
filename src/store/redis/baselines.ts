/**
 * API-token usage baselines in Redis: one small hash per token,
 * `tsp-b:<id>` (keys.ts; f, l, u, h, c, r, rf and n:<network>, see
 * BaselineState), updated by one script per use (its one key in KEYS). The
 * script transcribes observeUse() in src/core/suspicious/baseline-rules.ts;
 * the store contract suite holds both to the same behaviour.
 */
import type { Baseline, BaselineRepository, BaselineRules, Finding, Observation } from '../baseline-records.js';
import { MAX_NETWORKS } from '../baseline-records.js';
import { HOUR_MS } from '../../core/suspicious/baseline-rules.js';
import { guarded, type RedisClient } from './connection.js';
import { defineScript, type RedisContext } from './context.js';

// KEYS: baseline. ARGV: at, network ('' = unknown), created at, learning uses, learning ms, dormancy ms,
// rate factor, rate floor, rate weight, max networks, expires at, hour ms. Answers the findings as JSON.
const OBSERVE = `
local at = tonumber(ARGV[1])
local net = ARGV[2]
local int = function(x) return string.format('%.0f', x) end
local s, nets, count = {}, {}, 0
local all = redis.call('HGETALL', KEYS[1])
for i = 1, #all, 2 do
  local k, v = all[i], all[i + 1]
  if string.sub(k, 1, 2) == 'n:' then nets[string.sub(k, 3)] = tonumber(v); count = count + 1 else s[k] = tonumber(v) end
end
local ttl = redis.call('PTTL', KEYS[1])
local findings = {}
local since = s.l or tonumber(ARGV[3])
if at - since >= tonumber(ARGV[6]) then table.insert(findings, { reason = 'dormant', dormant_for_ms = at - since }) end
local uses = s.u or 0
local learned = uses >= tonumber(ARGV[4]) and s.f ~= nil and at - s.f >= tonumber(ARGV[5])
if net ~= '' then
  if nets[net] == nil then
    if learned then table.insert(findings, { reason = 'new_network', network = net }) end
    if count >= tonumber(ARGV[10]) then
      local oldest, oldestAt = nil, nil
      for k, v in pairs(nets) do
        if oldest == nil or v < oldestAt or (v == oldestAt and k < oldest) then oldest, oldestAt = k, v end
      end
      redis.call('HDEL', KEYS[1], 'n:' .. oldest)
    end
  end
  redis.call('HSET', KEYS[1], 'n:' .. net, int(at))
end
local hour = math.floor(at / tonumber(ARGV[12]))
local c, r, w = s.c or 0, s.r or 0, tonumber(ARGV[9])
if s.h ~= hour then
  if s.h ~= nil and c > 0 then
    if r == 0 then r = c else r = math.floor((r * (1 - w) + c * w) * 1e6 + 0.5) / 1e6 end
  end
  c = 0
end
c = c + 1
if learned and r > 0 and c > math.max(tonumber(ARGV[7]) * r, tonumber(ARGV[8])) and s.rf ~= hour then
  table.insert(findings, { reason = 'rate', uses_this_hour = c, usual_per_hour = r })
  redis.call('HSET', KEYS[1], 'rf', int(hour))
end
redis.call('HSET', KEYS[1], 'f', int(s.f or at), 'l', int(at), 'u', int(uses + 1), 'h', int(hour), 'c', int(c), 'r', string.format('%.6f', r))
if ttl < 0 or at + ttl < tonumber(ARGV[11]) then redis.call('PEXPIREAT', KEYS[1], ARGV[11]) end
if #findings == 0 then return '[]' end
return cjson.encode(findings)`;

interface Scripts {
  tesseraObserveUse(key: string, ...args: string[]): Promise<string>;
}

export class RedisBaselines implements BaselineRepository {
  readonly #redis: RedisClient & Scripts;

  constructor(private readonly ctx: RedisContext) {
    defineScript(ctx, 'tesseraObserveUse', 1, OBSERVE);
    this.#redis = ctx.redis as RedisClient & Scripts;
  }

  #key(tokenId: string): string { return this.ctx.keys.apiTokenBaseline(tokenId); }

  async observe(tokenId: string, use: Observation, rules: BaselineRules, expiresAtMs: number): Promise<Finding[]> {
    const json = await guarded(() => this.#redis.tesseraObserveUse(
      this.#key(tokenId), String(use.atMs), use.network ?? '', String(use.createdAtMs), String(rules.learningUses), String(rules.learningMs),
      String(rules.dormancyMs), String(rules.rateFactor), String(rules.rateFloor), String(rules.rateWeight), String(MAX_NETWORKS),
      String(Math.ceil(expiresAtMs)), String(HOUR_MS),
    ));
    return (JSON.parse(json) as Finding[]).map((f) => (f.reason === 'rate' ? { ...f, usual_per_hour: Math.round(f.usual_per_hour * 100) / 100 } : f));
  }

  async get(tokenId: string): Promise<Baseline | null> {
    const all = await guarded(() => this.#redis.hgetall(this.#key(tokenId)));
    if (all.u === undefined) return null;
    const networks: Record<string, number> = {};
    for (const [k, v] of Object.entries(all)) if (k.startsWith('n:')) networks[k.slice(2)] = Number(v);
    return { first_use: Number(all.f), last_use: Number(all.l), uses: Number(all.u), networks, usual_per_hour: Number(all.r) };
  }
}
