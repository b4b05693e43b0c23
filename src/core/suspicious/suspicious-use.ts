/**
 * Suspicious use of API tokens. Every successful use (an exchange, an
 * introspection) is added to the token's baseline (store.baselines) after
 * the answer is on its way: the request never waits for it, and a failed
 * write only loses that observation. A use the rules find suspicious
 * (baseline-rules.ts) is an `api_token.suspicious_use` event with the
 * reason; under the `pause` policy the token is paused too, refused until
 * its owner or an admin resumes it. The use that tripped the rule has been
 * answered already: pausing stops the ones after it.
 */
import type { Logger } from 'pino';
import type { ApiTokenRecord, BaselineRules, Finding, Store } from '../../store/store.js';
import type { AuditSink } from '../audit.js';
import type { ApiTokenService } from '../api-tokens/api-token-service.js';
import { humanDuration } from '../hygiene/policy.js';
import { networkOf } from './network.js';

export type SuspiciousUseAction = 'off' | 'notify' | 'pause';

export interface SuspiciousUsePolicy {
  action: SuspiciousUseAction;
  rules: BaselineRules;
}

export const SUSPICIOUS_USE_ACTOR = { type: 'system', id: 'suspicious-use' } as const;

/** The defaults besides what configuration sets (rate factor, dormancy): learning over 20 uses and a day, a floor of 20 uses an hour. */
export const DEFAULT_RULES: BaselineRules = {
  learningUses: 20, learningMs: 86_400_000, dormancyMs: 30 * 86_400_000, rateFactor: 10, rateFloor: 20, rateWeight: 0.2,
};

function describe(f: Finding): string {
  switch (f.reason) {
    case 'new_network': return `a use from ${f.network}, a network it was not used from before`;
    case 'rate': return `${f.uses_this_hour} uses this hour, against a usual ${f.usual_per_hour} an hour of use`;
    case 'dormant': return `the first use in ${humanDuration(Math.round(f.dormant_for_ms / 1000))}`;
  }
}

function facts(f: Finding): Record<string, unknown> {
  switch (f.reason) {
    case 'rate': return { uses_this_hour: f.uses_this_hour, usual_per_hour: f.usual_per_hour };
    case 'dormant': return { dormant_for: Math.round(f.dormant_for_ms / 1000) };
    default: return {};
  }
}

export class SuspiciousUseWatch {
  readonly #pending = new Set<Promise<void>>();

  constructor(
    private readonly store: Store,
    private readonly tokens: ApiTokenService,
    private readonly audit: AuditSink,
    private readonly policy: SuspiciousUsePolicy,
    private readonly logger: Logger,
  ) {}

  /** A use of `token` by its owner `username` from `ip` at `atMs`; returns at once. */
  observe(token: ApiTokenRecord, username: string, ip: string, atMs: number): void {
    if (this.policy.action === 'off') return;
    const network = networkOf(ip);
    const work = this.store.baselines
      .observe(token.id, { atMs, network, createdAtMs: token.created_at }, this.policy.rules, token.purge_at)
      .then((findings) => (findings.length ? this.report(token, username, ip, network, findings) : undefined))
      .catch((err: unknown) => this.logger.warn({ err: String(err), token_id: token.id }, 'suspicious-use baseline not updated'));
    this.#pending.add(work);
    void work.finally(() => this.#pending.delete(work));
  }

  /** Resolves once every observation made so far has been handled (tests, shutdown). */
  async flush(): Promise<void> {
    await Promise.all([...this.#pending]);
  }

  private async report(token: ApiTokenRecord, username: string, ip: string, network: string | null, findings: Finding[]): Promise<void> {
    let paused = false;
    if (this.policy.action === 'pause') {
      const reason = `suspicious use: ${findings.map(describe).join('; ')}`.slice(0, 500);
      paused = await this.tokens.pause(token.id, reason, { actor: SUSPICIOUS_USE_ACTOR }).then(() => true, (err: unknown) => {
        // Revoked or expired meanwhile (a conflict), or the store failed: the event says it is not paused.
        this.logger.warn({ err: String(err), token_id: token.id }, 'could not pause a token after suspicious use');
        return false;
      });
    }
    for (const f of findings) {
      this.audit.record({
        type: 'api_token.suspicious_use', actor: SUSPICIOUS_USE_ACTOR, subject: token.user_id, token_id: token.id,
        detail: {
          name: token.name, username, reason: f.reason, description: describe(f), ip, network: network ?? 'unknown', paused, ...facts(f),
        },
      });
    }
  }
}
