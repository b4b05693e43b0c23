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
    for (const s of new Set(strings)) await this.revokeLeaked(s, { ...from, reporter: null });
  }

  /**
   * GitHub's secret scanning (src/http/routes/github-leaks.ts, its signature
   * checked there): revokes what is live among the matches and labels each
   * the way the partner program's feedback expects, `true_positive` for a
   * real Tessera token (live and now revoked, or already dead) and
   * `false_positive` for anything else. The caller is authenticated, so the
   * answer may say what was real.
   */
  async githubReport(matches: ReadonlyArray<{ token: string; url?: string | undefined; source?: string | undefined }>, from: { ip: string }): Promise<LeakLabel[]> {
    const labels = new Map<string, LeakLabel>();
    for (const m of matches) {
      if (labels.has(m.token)) continue;
      const outcome = await this.revokeLeaked(m.token, { ip: from.ip, source: m.url ?? null, reporter: 'github', sourceKind: m.source ?? null });
      labels.set(m.token, outcome === 'unknown' ? 'false_positive' : 'true_positive');
    }
    return matches.map((m) => labels.get(m.token)!);
  }

  /** Revokes `secret` when it is a live Tessera token: `revoked`; `known` for a real one no longer live; `unknown` otherwise. */
  private async revokeLeaked(secret: string, from: LeakSource): Promise<'revoked' | 'known' | 'unknown'> {
    // The format and checksum first: nothing else reaches the store.
    const kind = parseOpaqueToken(secret);
    if (kind === 'api') return this.revokeApiToken(secret, from);
    if (kind === 'refresh') return this.revokeRefreshFamily(secret, from);
    return 'unknown';
  }

  private async revokeApiToken(secret: string, from: LeakSource): Promise<'revoked' | 'known' | 'unknown'> {
    const hash = sha256Hex(secret);
    const record = await this.store.apiTokens.findByHash(hash);
    if (!record) return 'unknown';
    if (!secretWorks(record, hash, this.now())) return 'known';
    await this.apiTokens.revoke(record.id, 'reported as leaked', { actor: ANONYMOUS });
    this.audit.record({ type: 'token.leak_reported', actor: ANONYMOUS, subject: record.user_id, token_id: record.id, detail: { kind: 'api_token', ...leakDetail(from) } });
    return 'revoked';
  }

  /** A refresh token counts as known only while live: the store keeps no record a consumed one can be matched against by itself. */
  private async revokeRefreshFamily(secret: string, from: LeakSource): Promise<'revoked' | 'unknown'> {
    const live = await this.refresh.lookup(secret);
    if (!live) return 'unknown';
    await this.refresh.revokeFamily(live.family.family_id);
    this.audit.record({
      type: 'token.leak_reported', actor: ANONYMOUS, subject: live.family.user_id, token_id: live.family.family_id,
      client_id: live.family.client_id, detail: { kind: 'refresh_token', ...leakDetail(from) },
    });
    return 'revoked';
  }
}

export type LeakLabel = 'true_positive' | 'false_positive';

interface LeakSource {
  ip: string;
  /** Where it was found (a URL, a file). */
  source: string | null;
  /** Who reported it, when the report was authenticated (`github`); null for the anonymous endpoint. */
  reporter: string | null;
  /** GitHub's kind of place (`content`, `commit`, `issue_comment`, ...). */
  sourceKind?: string | null;
}

function leakDetail(from: LeakSource): Record<string, unknown> {
  const detail: Record<string, unknown> = { ip: from.ip, source: from.source };
  if (from.reporter !== null) detail.reporter = from.reporter;
  if (from.sourceKind) detail.source_kind = from.sourceKind;
  return detail;
}
