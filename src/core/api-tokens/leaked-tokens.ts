/**
 * Reports of leaked secrets (a secret scanner, a person who found one in a
 * paste): every real Tessera token among the strings is revoked at once.
 * No authentication, because the reporter is usually a stranger; the answer
 * never says whether anything was live, and a report only ever ends a
 * token's life, so it is no oracle worth having. Rate limited per IP.
 */
import type { Store } from '../../store/store.js';
import type { AuditSink } from '../audit.js';
import { sha256Hex } from '../crypto/secret-hash.js';
import { RateLimitedError } from '../errors.js';
import { parseOpaqueToken } from '../tokens/opaque-token.js';
import type { RefreshTokenService } from '../tokens/refresh-tokens.js';
import type { ApiTokenService } from './api-token-service.js';
import { secretWorks } from './api-token-use.js';

export const MAX_LEAK_REPORT_TOKENS = 1000;
export const LEAK_REPORTS_PER_WINDOW = 30;
const WINDOW_MS = 60_000;
const ANONYMOUS = { type: 'anonymous', id: null } as const;

export class LeakedTokenReports {
  constructor(
    private readonly store: Store,
    private readonly apiTokens: ApiTokenService,
    private readonly refresh: RefreshTokenService,
    private readonly audit: AuditSink,
    private readonly now: () => number = Date.now,
  ) {}

  /** Revokes what is real among `strings`; resolves the same way whatever they were. */
  async report(strings: readonly string[], from: { ip: string; source: string | null }): Promise<void> {
    // The counter's window runs a minute from the latest report, so a steady sender stays limited.
    const window = await this.store.loginAttempts.hit(`leak-report:${from.ip}`, this.now(), WINDOW_MS);
    if (window.count > LEAK_REPORTS_PER_WINDOW) {
      throw new RateLimitedError(`at most ${LEAK_REPORTS_PER_WINDOW} reports from one address until a minute passes without one`, WINDOW_MS / 1000);
    }
    for (const s of new Set(strings)) {
      // The format and checksum first: nothing else reaches the store.
      const kind = parseOpaqueToken(s);
      if (kind === 'api') await this.revokeApiToken(s, from);
      else if (kind === 'refresh') await this.revokeRefreshFamily(s, from);
    }
  }

  private async revokeApiToken(secret: string, from: { ip: string; source: string | null }): Promise<void> {
    const hash = sha256Hex(secret);
    const record = await this.store.apiTokens.findByHash(hash);
    if (!record || !secretWorks(record, hash, this.now())) return;
    await this.apiTokens.revoke(record.id, 'reported as leaked', { actor: ANONYMOUS });
    this.audit.record({ type: 'token.leak_reported', actor: ANONYMOUS, subject: record.user_id, token_id: record.id, detail: { kind: 'api_token', ip: from.ip, source: from.source } });
  }

  private async revokeRefreshFamily(secret: string, from: { ip: string; source: string | null }): Promise<void> {
    const live = await this.refresh.lookup(secret);
    if (!live) return;
    await this.refresh.revokeFamily(live.family.family_id);
    this.audit.record({
      type: 'token.leak_reported', actor: ANONYMOUS, subject: live.family.user_id, token_id: live.family.family_id,
      client_id: live.family.client_id, detail: { kind: 'refresh_token', ip: from.ip, source: from.source },
    });
  }
}
