/**
 * Using an API token (token exchange, introspection): every check a
 * presented `tsp_` must pass, in the order that costs least. The format and
 * checksum come first, so a mistyped or foreign string never reaches the
 * store. Every refusal looks the same to the caller; the reason goes only
 * to the audit log. A token never grants more than its owner has now.
 */
import { timingSafeEqual } from 'node:crypto';
import type { ApiTokenRecord, Store, UserRecord } from '../../store/store.js';
import type { AuditSink } from '../audit.js';
import { sha256Hex } from '../crypto/secret-hash.js';
import { parseOpaqueToken } from '../tokens/opaque-token.js';
import type { UserService } from '../users/user-service.js';
import { ipAllowed } from './ip-allowlist.js';
import { exercisedScopes } from '../usage/scope-use.js';
import { bestEffort, type SkippedWrites } from '../outage-log.js';

export type ApiTokenRefusal =
  | 'malformed' | 'unknown' | 'revoked' | 'expired' | 'superseded' | 'paused' | 'ip_not_allowed' | 'owner_unavailable' | 'owner_cut_off'
  | 'parent_revoked';

export type ApiTokenUse =
  | { ok: true; record: ApiTokenRecord; owner: UserRecord; scopes: string[]; ancestors: ApiTokenRecord[] }
  | { ok: false; reason: ApiTokenRefusal };

/** How far up a chain of tokens created through tokens is followed; deeper chains are refused. */
const MAX_ANCESTORS = 8;

export interface UseContext {
  /** The address the token was presented from. */
  ip: string;
  purpose: 'token_exchange' | 'introspection';
  /** The client that presented it (the exchanging client or the introspecting resource server). */
  clientId: string;
  /** The route it was used on, for the per-route usage count. */
  route: string;
  /** The scopes the use asked for or needed (exchange `scope`, introspection `scope`): those the token holds count as exercised. */
  scopes?: readonly string[] | undefined;
}

function sameHash(a: string, b: string | null): boolean {
  if (b === null || a.length !== b.length) return false;
  return timingSafeEqual(Buffer.from(a), Buffer.from(b));
}

/**
 * Whether the secret with this hash works now: the token's current secret,
 * or its previous one inside the rotation grace period, on a live token.
 * Revoking by secret (leak reports, RFC 7009) needs this, so that an old,
 * already dead secret cannot be used to revoke its successor.
 */
export function secretWorks(record: ApiTokenRecord, hash: string, nowMs: number): boolean {
  if (record.revoked_at !== null || record.expires_at <= nowMs) return false;
  if (sameHash(hash, record.secret_hash)) return true;
  return sameHash(hash, record.previous_secret_hash) && (record.previous_expires_at ?? 0) > nowMs;
}

export class ApiTokenUser {
  constructor(
    private readonly store: Store,
    private readonly users: UserService,
    private readonly audit: AuditSink,
    private readonly now: () => number = Date.now,
    private readonly failures?: SkippedWrites,
    /** Told of every successful use, after the fact (suspicious-use baselines); never awaited. */
    private readonly watch?: { observe(token: ApiTokenRecord, username: string, ip: string, atMs: number): void },
  ) {}

  async use(token: string, ctx: UseContext): Promise<ApiTokenUse> {
    const outcome = await this.check(token, ctx);
    const tokenId = outcome.record?.id ?? null;
    if (!outcome.ok) {
      this.audit.record({
        type: 'api_token.refused', actor: { type: 'client', id: ctx.clientId }, subject: outcome.record?.user_id ?? null,
        token_id: tokenId, detail: { reason: outcome.reason, purpose: ctx.purpose, ip: ctx.ip },
      });
      return { ok: false, reason: outcome.reason };
    }
    const at = this.now();
    // Records of the use, not conditions of it: a store that cannot write (full) still lets it be read and used.
    // Not awaited: the per-route count is batched (batched-usage.ts); the last use is one write, sent now, so a
    // read that follows on this instance's connection sees it.
    void bestEffort(this.store.apiTokens.touch(outcome.record.id, at, ctx.ip), 'usage', this.failures);
    void bestEffort(this.store.usage.record(`api_token:${outcome.record.id}`, {
      route: ctx.route, ip: ctx.ip, atMs: at, scopes: exercisedScopes(ctx.scopes ?? [], outcome.scopes.join(' ')),
    }, outcome.record.expires_at), 'usage', this.failures);
    this.audit.record({
      type: 'api_token.used', actor: { type: 'client', id: ctx.clientId }, subject: outcome.owner.id,
      token_id: tokenId, detail: { purpose: ctx.purpose, ip: ctx.ip, route: ctx.route },
    });
    this.watch?.observe(outcome.record, outcome.owner.username, ctx.ip, at);
    return { ok: true, record: outcome.record, owner: outcome.owner, scopes: outcome.scopes, ancestors: outcome.ancestors };
  }

  private async check(token: string, ctx: UseContext): Promise<
    | { ok: true; record: ApiTokenRecord; owner: UserRecord; scopes: string[]; ancestors: ApiTokenRecord[] }
    | { ok: false; reason: ApiTokenRefusal; record?: ApiTokenRecord }
  > {
    // Contract: anything not in the tsp_ format with a right checksum is refused before any lookup.
    if (parseOpaqueToken(token) !== 'api') return { ok: false, reason: 'malformed' };
    const hash = sha256Hex(token);
    const record = await this.store.apiTokens.findByHash(hash);
    if (!record) return { ok: false, reason: 'unknown' };
    const now = this.now();
    const current = sameHash(hash, record.secret_hash);
    if (!current && !sameHash(hash, record.previous_secret_hash)) return { ok: false, reason: 'unknown' };
    if (record.revoked_at !== null) return { ok: false, reason: 'revoked', record };
    if (record.expires_at <= now) return { ok: false, reason: 'expired', record };
    // The secret before the last rotation works only until the grace period ends.
    if (!current && (record.previous_expires_at ?? 0) <= now) return { ok: false, reason: 'superseded', record };
    // Paused by the suspicious-use policy: refused until its owner or an admin resumes it.
    if ((record.paused_at ?? null) !== null) return { ok: false, reason: 'paused', record };
    if (record.allowed_ips && !ipAllowed(record.allowed_ips, ctx.ip)) return { ok: false, reason: 'ip_not_allowed', record };
    const owner = await this.store.users.get(record.user_id);
    if (!owner || owner.disabled) return { ok: false, reason: 'owner_unavailable', record };
    // revoke-tokens on the owner ends every token issued before it.
    if (owner.tokens_revoked_at !== null && record.created_at <= Date.parse(owner.tokens_revoked_at)) {
      return { ok: false, reason: 'owner_cut_off', record };
    }
    // A token created through another one ends with it, even if revoking it
    // with its parent was cut short: its parent (and theirs) must be live.
    const ancestors = await this.ancestors(record, now);
    if (!ancestors) return { ok: false, reason: 'parent_revoked', record };
    const allowed = new Set(await this.users.scopesOf(owner));
    return { ok: true, record, owner, scopes: record.scopes.filter((s) => allowed.has(s)), ancestors };
  }

  /** The live tokens `record` was created through, nearest first; null when one of them is revoked, expired or gone. */
  private async ancestors(record: ApiTokenRecord, now: number): Promise<ApiTokenRecord[] | null> {
    const chain: ApiTokenRecord[] = [];
    for (let parentId = record.parent_id; parentId; parentId = chain.at(-1)!.parent_id) {
      if (chain.length === MAX_ANCESTORS) return null;
      const parent = await this.store.apiTokens.get(parentId);
      if (!parent || parent.revoked_at !== null || parent.expires_at <= now) return null;
      chain.push(parent);
    }
    return chain;
  }
}
