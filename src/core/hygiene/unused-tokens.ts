/**
 * Unused API tokens: a token not used for TESSERA_API_TOKEN_UNUSED_AFTER
 * (never used: since it was made) gets one `api_token.unused` event; with
 * the opt-in policy TESSERA_API_TOKEN_UNUSED_ACTION (`revoke` or `expire`),
 * a token still unused TESSERA_API_TOKEN_UNUSED_GRACE after that warning is
 * then revoked or ended, by the system actor, with the reason recorded. A
 * use in between starts the count again (the mark is per last use).
 *
 * Last use is not indexed (recording a use stays one write to the token),
 * so the job walks the tokens in id order, a bounded batch per turn,
 * resuming from a cursor kept in the store: a full pass over N tokens
 * takes about N / 1000 turns.
 */
import type { Store } from '../../store/store.js';
import type { AuditSink } from '../audit.js';
import type { BackgroundJob } from '../jobs/job-runner.js';
import type { ApiTokenService } from '../api-tokens/api-token-service.js';
import { apiTokenStatus } from '../api-tokens/api-token-view.js';
import { OwnerNames } from './owners.js';
import { HYGIENE_ACTOR, humanDuration, type HygienePolicy } from './policy.js';

const PAGE = 200;
const PER_TURN = 1000;
const CURSOR = 'api-token-unused:cursor';
/** A pass not finished in one turn goes on this soon. */
const CONTINUE_MS = 1_000;

export class UnusedTokens implements BackgroundJob {
  readonly name = 'api-token-unused';
  readonly leaseMs = 5 * 60_000;

  constructor(
    private readonly store: Store,
    private readonly tokens: ApiTokenService,
    private readonly audit: AuditSink,
    private readonly policy: Pick<HygienePolicy, 'unusedAfter' | 'unusedAction' | 'unusedGrace'>,
    private readonly now: () => number = Date.now,
    private readonly everyMs = 60_000,
  ) {}

  async run(): Promise<number> {
    const after = this.policy.unusedAfter;
    if (after === null) return this.everyMs;
    const now = this.now();
    const owners = new OwnerNames(this.store);
    let cursor = (await this.store.jobs.getMark(CURSOR)) || undefined;
    for (let seen = 0; seen < PER_TURN;) {
      const page = await this.store.apiTokens.list({}, { limit: PAGE, cursor });
      for (const t of page.items) {
        seen++;
        if (apiTokenStatus(t, now) !== 'active') continue;
        const since = t.last_used_at ?? t.created_at;
        if (now - since < after * 1000) continue;
        const warned = await this.store.jobs.markOnce(`unused:${t.id}:${since}`, String(now), t.expires_at);
        if (warned === null) {
          const acting = this.policy.unusedAction !== 'none';
          this.audit.record({
            type: 'api_token.unused', actor: HYGIENE_ACTOR, subject: t.user_id, token_id: t.id,
            detail: {
              name: t.name, username: await owners.get(t.user_id),
              last_used_at: t.last_used_at === null ? null : new Date(t.last_used_at).toISOString(),
              unused_for: Math.floor((now - since) / 1000), action: this.policy.unusedAction,
              action_at: acting ? new Date(now + this.policy.unusedGrace * 1000).toISOString() : null,
            },
          });
        } else if (this.policy.unusedAction !== 'none' && now >= Number(warned) + this.policy.unusedGrace * 1000) {
          await this.act(t.id, after);
        }
      }
      if (page.next_cursor === null) {
        // A whole pass done: the next one starts from the first token at the next turn.
        await this.store.jobs.setMark(CURSOR, '', now + 30 * 86_400_000);
        return this.everyMs;
      }
      cursor = page.next_cursor;
    }
    await this.store.jobs.setMark(CURSOR, cursor ?? '', now + 30 * 86_400_000);
    return CONTINUE_MS;
  }

  private async act(id: string, after: number): Promise<void> {
    const reason = `unused for ${humanDuration(after)} (unused-token policy)`;
    if (this.policy.unusedAction === 'revoke') await this.tokens.revoke(id, reason, { actor: HYGIENE_ACTOR });
    else await this.tokens.expireNow(id, reason, { actor: HYGIENE_ACTOR });
  }
}
