/**
 * The revocations a feed-polling verifier has learned, merged page after
 * page (claims described in src/core/revocation-feed.ts). Revoked ids leave
 * once the token they name can no longer pass `exp` (plus our own clock
 * tolerance, which lets a token through that long after its `exp`), so the
 * set stays the size of the live revocations. Cut-offs are one number per
 * user and are kept: nothing here knows how long the tokens they end live.
 */
import { cutOff, type RevocationQuery } from './revocation-check.js';

export interface FeedClaims {
  cursor: string | null;
  more: boolean;
  revoked: Array<{ jti: string; exp: number }>;
  cutoffs: Array<{ sub: string; before: number }>;
}

/** Checks the shape of a verified feed page, so a server bug cannot poison the set. */
export function parseFeedClaims(payload: Record<string, unknown>): FeedClaims | null {
  const { cursor, more, revoked, cutoffs } = payload;
  if (!(cursor === null || typeof cursor === 'string') || typeof more !== 'boolean') return null;
  if (!Array.isArray(revoked) || !Array.isArray(cutoffs)) return null;
  const r = revoked as Array<{ jti?: unknown; exp?: unknown }>;
  const c = cutoffs as Array<{ sub?: unknown; before?: unknown }>;
  if (!r.every((e) => e && typeof e.jti === 'string' && typeof e.exp === 'number')) return null;
  if (!c.every((e) => e && typeof e.sub === 'string' && typeof e.before === 'number')) return null;
  return { cursor, more, revoked: r as FeedClaims['revoked'], cutoffs: c as FeedClaims['cutoffs'] };
}

export class RevocationSet {
  /** id → exp (epoch s) of the token it names. */
  readonly #revoked = new Map<string, number>();
  /** sub → before (epoch s). */
  readonly #cutoffs = new Map<string, number>();

  constructor(
    private readonly clockToleranceSeconds: number,
    private readonly nowMs: () => number = Date.now,
  ) {}

  merge(page: FeedClaims): void {
    for (const { jti, exp } of page.revoked) this.#revoked.set(jti, Math.max(exp, this.#revoked.get(jti) ?? 0));
    for (const { sub, before } of page.cutoffs) this.#cutoffs.set(sub, Math.max(before, this.#cutoffs.get(sub) ?? 0));
    this.prune();
  }

  prune(): void {
    const now = this.nowMs() / 1000;
    for (const [id, exp] of this.#revoked) if (exp + this.clockToleranceSeconds < now) this.#revoked.delete(id);
  }

  has(q: RevocationQuery): boolean {
    if (q.ids.some((id) => this.#revoked.has(id))) return true;
    const before = q.sub === null ? undefined : this.#cutoffs.get(q.sub);
    return before !== undefined && cutOff(q.iat, before);
  }

  get size(): number {
    return this.#revoked.size + this.#cutoffs.size;
  }
}
