/**
 * The rules of suspicious use, applied to a baseline as a pure function:
 * the memory store runs it as is, and the Redis store's script
 * (src/store/redis/baselines.ts) is its transcription, held to the same
 * behaviour by the store contract suite.
 *
 * - dormant: the first use after `dormancyMs` without any (counted from the
 *   previous use, or from the token's creation for its first use);
 * - new_network: once the baseline has learned (`learningUses` uses over
 *   `learningMs`), a use from a network it has not seen; the network is
 *   then learned, so it is reported once;
 * - rate: once learned, more uses in the current hour than
 *   max(`rateFactor` × the usual rate per hour of use, `rateFloor`);
 *   reported once per hour.
 */
import { MAX_NETWORKS, type BaselineRules, type Finding, type Observation } from '../../store/baseline-records.js';

export const HOUR_MS = 3_600_000;

/** The stored state (field names as in the Redis hash). */
export interface BaselineState {
  f: number | null; // first use
  l: number | null; // last use
  u: number; // uses
  h: number | null; // hour (epoch ms / HOUR_MS) of the uses counted in c
  c: number; // uses in hour h
  r: number; // usual uses per hour of use
  rf: number | null; // the hour a rate finding was last made
  n: Record<string, number>; // network → last seen
}

export const emptyBaseline = (): BaselineState => ({ f: null, l: null, u: 0, h: null, c: 0, r: 0, rf: null, n: {} });

const roundRate = (r: number) => Math.floor(r * 1e6 + 0.5) / 1e6;

export function observeUse(s: BaselineState, use: Observation, rules: BaselineRules): Finding[] {
  const at = use.atMs;
  const findings: Finding[] = [];
  const since = s.l ?? use.createdAtMs;
  if (at - since >= rules.dormancyMs) findings.push({ reason: 'dormant', dormant_for_ms: at - since });
  const learned = s.u >= rules.learningUses && s.f !== null && at - s.f >= rules.learningMs;

  if (use.network !== null) {
    if (s.n[use.network] === undefined) {
      if (learned) findings.push({ reason: 'new_network', network: use.network });
      const known = Object.entries(s.n);
      if (known.length >= MAX_NETWORKS) {
        // Forget the network seen least recently (ties: the smallest name, as the script does).
        const [oldest] = known.sort(([na, a], [nb, b]) => a - b || (na < nb ? -1 : 1))[0]!;
        delete s.n[oldest];
      }
    }
    s.n[use.network] = at;
  }

  const hour = Math.floor(at / HOUR_MS);
  if (s.h !== hour) {
    // Kept to 6 decimals, as the script stores it, so that both stores compare the same numbers.
    if (s.h !== null && s.c > 0) s.r = s.r === 0 ? s.c : roundRate(s.r * (1 - rules.rateWeight) + s.c * rules.rateWeight);
    s.h = hour;
    s.c = 0;
  }
  s.c += 1;
  if (learned && s.r > 0 && s.c > Math.max(rules.rateFactor * s.r, rules.rateFloor) && s.rf !== hour) {
    findings.push({ reason: 'rate', uses_this_hour: s.c, usual_per_hour: Math.round(s.r * 100) / 100 });
    s.rf = hour;
  }
  s.u += 1;
  s.l = at;
  s.f ??= at;
  return findings;
}
