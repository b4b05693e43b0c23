/**
 * The usage baseline of an API token, for spotting suspicious use: the
 * networks it is usually used from (at most MAX_NETWORKS, the least
 * recently seen dropped first) and its usual rate per hour of use (an
 * exponentially weighted mean), with when it was first and last used. One
 * observation updates it and says which rules the use broke, in one atomic
 * step (a Lua script in Redis), so concurrent uses never lose an update or
 * report a finding twice. Constant size per token; it expires with it.
 */
export const MAX_NETWORKS = 8;

export interface BaselineRules {
  /** Uses and time (ms) since the first use before the network and rate rules apply: until then the baseline is learning. */
  learningUses: number;
  learningMs: number;
  /** A use this long (ms) after the previous one (or the token's creation) is `dormant`. */
  dormancyMs: number;
  /** Uses in the current hour above max(factor × usual rate, floor) are `rate`. */
  rateFactor: number;
  rateFloor: number;
  /** Weight of the newest hour in the usual rate (0..1). */
  rateWeight: number;
}

export type Finding =
  | { reason: 'new_network'; network: string }
  | { reason: 'rate'; uses_this_hour: number; usual_per_hour: number }
  | { reason: 'dormant'; dormant_for_ms: number };

export interface Observation {
  atMs: number;
  /** The use's /24 (IPv4) or /48 (IPv6) network; null when the address is unknown (the network rule is skipped). */
  network: string | null;
  /** When the token was made: the start of its first dormancy. */
  createdAtMs: number;
}

export interface Baseline {
  first_use: number | null;
  last_use: number | null;
  uses: number;
  /** Network → last seen (epoch ms). */
  networks: Record<string, number>;
  /** Usual uses per hour of use; 0 until an hour with uses has ended. */
  usual_per_hour: number;
}

export interface BaselineRepository {
  /** Adds a use to the token's baseline and answers what it found; the baseline lives until `expiresAtMs` at least. */
  observe(tokenId: string, use: Observation, rules: BaselineRules, expiresAtMs: number): Promise<Finding[]>;
  get(tokenId: string): Promise<Baseline | null>;
}
