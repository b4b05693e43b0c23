/**
 * Expiry notices for API tokens: `api_token.expiring` once per warning
 * window (by default 7 days and 1 day before the expiry), and
 * `api_token.expired` once when a token has run out. Both walk the store's
 * expiry index (never every token) and leave a mark per notice, so each is
 * given once whichever instance runs the job and however often.
 *
 * A window is skipped for a token whose whole life is shorter than it (a
 * token made to last 2 days gets the 1-day warning, not the 7-day one at
 * its creation): a warning is news only for a token that has been around.
 */
import type { ApiTokenRecord, Store } from '../../store/store.js';
import type { AuditSink } from '../audit.js';
import type { BackgroundJob } from '../jobs/job-runner.js';
import { OwnerNames } from './owners.js';
import { HYGIENE_ACTOR, type HygienePolicy } from './policy.js';

const PAGE = 500;
const DAY_MS = 86_400_000;
/** How far back the first run of the expired-token scan looks, before it has a watermark of its own. */
const FIRST_LOOKBACK_MS = 3_600_000;
const WATERMARK = 'api-token-expiry:scanned-to';

export class ExpiryNotices implements BackgroundJob {
  readonly name = 'api-token-expiry';
  readonly leaseMs = 5 * 60_000;

  constructor(
    private readonly store: Store,
    private readonly audit: AuditSink,
    private readonly policy: Pick<HygienePolicy, 'expiryWarnings'>,
    private readonly now: () => number = Date.now,
    private readonly everyMs = 60_000,
  ) {}

  async run(): Promise<number> {
    const now = this.now();
    const owners = new OwnerNames(this.store);
    await this.warnExpiring(now, owners);
    await this.noticeExpired(now, owners);
    return this.everyMs;
  }

  private async warnExpiring(now: number, owners: OwnerNames): Promise<void> {
    const windows = [...this.policy.expiryWarnings].sort((a, b) => a - b);
    const widest = windows.at(-1);
    if (widest === undefined) return;
    await this.walk(now, now + widest * 1000, async (t) => {
      const left = t.expires_at - now;
      const window = windows.find((w) => left <= w * 1000)!;
      if (t.expires_at - t.created_at <= window * 1000) return;
      if (await this.store.jobs.markOnce(`expiring:${t.id}:${window}`, String(now), t.expires_at + DAY_MS) !== null) return;
      this.audit.record({
        type: 'api_token.expiring', actor: HYGIENE_ACTOR, subject: t.user_id, token_id: t.id,
        detail: {
          name: t.name, username: await owners.get(t.user_id), expires_at: new Date(t.expires_at).toISOString(),
          expires_in: Math.round(left / 1000), warning: window,
        },
      });
    });
  }

  private async noticeExpired(now: number, owners: OwnerNames): Promise<void> {
    const mark = await this.store.jobs.getMark(WATERMARK);
    const from = mark === null ? now - FIRST_LOOKBACK_MS : Math.min(Number(mark), now);
    await this.walk(from, now, async (t) => {
      if (await this.store.jobs.markOnce(`expired:${t.id}`, String(now), t.expires_at + 30 * DAY_MS) !== null) return;
      this.audit.record({
        type: 'api_token.expired', actor: HYGIENE_ACTOR, subject: t.user_id, token_id: t.id,
        detail: { name: t.name, username: await owners.get(t.user_id), expired_at: new Date(t.expires_at).toISOString() },
      });
    });
    await this.store.jobs.setMark(WATERMARK, String(now), now + 30 * DAY_MS);
  }

  /** Every token not revoked expiring in (after, until], a page at a time. */
  private async walk(after: number, until: number, each: (t: ApiTokenRecord) => Promise<void>): Promise<void> {
    for (let from: number | null = after; from !== null;) {
      const page = await this.store.apiTokens.expiringBetween(from, until, PAGE);
      for (const t of page.items) await each(t);
      from = page.next;
    }
  }
}
