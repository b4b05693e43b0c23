/**
 * The lifecycle of API tokens (personal access tokens, `tsp_`): create,
 * list, rotate with an overlap, revoke. The secret is returned once, at
 * create and rotate; the store keeps only its SHA-256 (a fast hash is right
 * for ~190 random bits). Every change is an audit event naming the actor.
 * An `owner` limits every call to that user's own tokens (self-service).
 *
 * A token created through another one (its creator's access token was
 * exchanged from an API token, `Caller.via`) is held within its parent: it
 * expires no later, is usable from no more addresses, is limited no more
 * loosely, and is revoked with it (and refused at use once the parent is
 * gone: api-token-use.ts).
 */
import { randomBytes } from 'node:crypto';
import type { Actor, ApiTokenRateLimit, ApiTokenRecord, Page, PageRequest, RateLimitRule, Store, UserRecord } from '../../store/store.js';
import { encodeCursor } from '../../store/cursor.js';
import type { AuditSink } from '../audit.js';
import { ConflictError, InvalidRequestError, NotFoundError } from '../errors.js';
import { sha256Hex } from '../crypto/secret-hash.js';
import { scopesOutside } from '../scopes.js';
import { generateOpaqueToken } from '../tokens/opaque-token.js';
import { apiTokenRevocationId } from '../tokens/access-token-validator.js';
import type { UserService } from '../users/user-service.js';
import type { ApiTokenCreateInput, ApiTokenListFilter } from './api-token-input.js';
import { apiTokenStatus } from './api-token-view.js';
import { apiTokenMatcher, sortedPage } from './api-token-query.js';
import { withinAllowlist } from './ip-allowlist.js';

export interface ApiTokenPolicy {
  /** Seconds. */
  maxTtl: number;
  defaultTtl: number;
  retention: number;
  /** Longest an access token exchanged from an API token can be accepted: access-token TTL plus clock skew. */
  derivedTokenLifetime: number;
  /** What limits a token with no `rate_limit` of its own (TESSERA_RATE_LIMIT_API_TOKEN). */
  defaultRateLimit: RateLimitRule;
}

export interface Caller {
  actor: Actor;
  /** Self-service: only this user's tokens, and the owner is this user. */
  owner?: string | undefined;
  /** Self-service: the scopes of the caller's own access token, which a new token may not exceed. */
  scopes?: readonly string[] | undefined;
  /** The API token the caller's access token was exchanged from (its `api_token_id`): a new token is held within it. */
  via?: string | undefined;
}

/** The answers to create and rotate: the record and its secret, this once. */
export interface IssuedApiToken { record: ApiTokenRecord; token: string }

const newId = () => `tok_${randomBytes(12).toString('base64url')}`;
const MAX_SCAN_PAGES = 20;
/** Tokens a sorted list may read: sorting happens here, over all of them. */
export const MAX_SORTED = 10_000;

export class ApiTokenService {
  constructor(
    private readonly store: Store,
    private readonly users: UserService,
    private readonly audit: AuditSink,
    private readonly policy: ApiTokenPolicy,
    private readonly now: () => number = Date.now,
  ) {}

  async create(input: ApiTokenCreateInput & { user?: string }, caller: Caller): Promise<IssuedApiToken> {
    const owner = await this.owner(caller.owner ?? input.user ?? '');
    if (owner.disabled) throw new InvalidRequestError(`user ${owner.username} is disabled`);
    const scopes = [...new Set(input.scopes)];
    // A token never starts with more than its owner's roles allow (and is re-checked at every use).
    const outside = scopesOutside(scopes, await this.users.scopesOf(owner));
    if (outside.length) throw new InvalidRequestError(`the owner's roles do not allow: ${outside.join(' ')}`);
    // Self-service is down-scoping: a narrow session must not mint a broader token.
    const beyond = caller.scopes ? scopesOutside(scopes, caller.scopes) : [];
    if (beyond.length) throw new InvalidRequestError(`the calling token does not carry: ${beyond.join(' ')}`);
    const now = this.now();
    const parent = caller.via === undefined ? null : await this.#parent(caller.via, now);
    const expiresAt = this.expiry(input, now, parent);
    const { allowed_ips, rate_limit } = parent ? this.#heldWithin(parent, input) : { allowed_ips: input.allowed_ips ?? null, rate_limit: input.rate_limit ?? null };
    for (let attempt = 0; attempt < 3; attempt++) {
      const token = generateOpaqueToken('api');
      const record: ApiTokenRecord = {
        id: newId(), user_id: owner.id, name: input.name, description: input.description ?? null, scopes,
        secret_hash: sha256Hex(token), previous_secret_hash: null, previous_expires_at: null, expires_at: expiresAt,
        allowed_ips, rate_limit,
        created_at: now, created_by: caller.actor, last_used_at: null, last_used_ip: null, rotated_at: null,
        revoked_at: null, revoked_by: null, revocation_reason: null,
        purge_at: expiresAt + this.policy.retention * 1000, version: 1, parent_id: parent?.id ?? null,
      };
      if (await this.store.apiTokens.create(record, now)) {
        this.audit.record({
          type: 'api_token.created', actor: caller.actor, subject: owner.id, token_id: record.id,
          detail: { name: record.name, scopes, expires_at: new Date(expiresAt).toISOString(), ...(parent ? { parent_id: parent.id } : {}) },
        });
        return { record, token };
      }
    }
    throw new ConflictError('could not allocate a token id; retry');
  }

  private async owner(idOrUsername: string): Promise<UserRecord> {
    try {
      return await this.users.resolve(idOrUsername);
    } catch (err) {
      // The owner is named in the body: a missing one is a bad request, not a missing resource.
      if (err instanceof NotFoundError) throw new InvalidRequestError(`user ${idOrUsername.slice(0, 100)} does not exist`);
      throw err;
    }
  }

  private expiry(input: ApiTokenCreateInput, now: number, parent: ApiTokenRecord | null): number {
    const max = now + this.policy.maxTtl * 1000;
    let at: number;
    if (input.expires_in !== undefined) at = now + input.expires_in * 1000;
    else if (input.expires_at !== undefined) at = Date.parse(input.expires_at);
    // Without an expiry, one made through a token ends with it at the latest.
    else at = Math.min(now + this.policy.defaultTtl * 1000, parent?.expires_at ?? Infinity);
    if (at < now + 60_000) throw new InvalidRequestError('the expiry must be at least 60 seconds from now');
    if (at > max) throw new InvalidRequestError(`the expiry may be at most ${this.policy.maxTtl} seconds from now (TESSERA_API_TOKEN_MAX_TTL)`);
    if (parent && at > parent.expires_at) {
      throw new InvalidRequestError(`a token created through an API token may not outlive it: expire at ${new Date(parent.expires_at).toISOString()} at the latest`);
    }
    return at;
  }

  /** The live API token a caller's session came from; a new token is made within it. */
  async #parent(id: string, now: number): Promise<ApiTokenRecord> {
    const parent = await this.store.apiTokens.get(id);
    if (!parent || apiTokenStatus(parent, now) !== 'active') {
      throw new InvalidRequestError('the API token this session was exchanged from is no longer active');
    }
    return parent;
  }

  /** A child's address and rate limits: what it asks for if that is within its parent's, its parent's when it asks for nothing. */
  #heldWithin(parent: ApiTokenRecord, input: ApiTokenCreateInput): Pick<ApiTokenRecord, 'allowed_ips' | 'rate_limit'> {
    let allowedIps = input.allowed_ips === undefined ? parent.allowed_ips : input.allowed_ips;
    if (parent.allowed_ips) {
      const wider = allowedIps === null ? ['anywhere'] : allowedIps.filter((ip) => !withinAllowlist(ip, parent.allowed_ips!));
      if (wider.length) throw new InvalidRequestError(`allowed_ips may not be wider than those of the API token it is created through (${parent.allowed_ips.join(', ')}): ${wider.join(', ')}`);
    }
    allowedIps = allowedIps === null ? null : [...allowedIps];
    const rateLimit = input.rate_limit === undefined ? parent.rate_limit : input.rate_limit;
    const own = this.#rule(rateLimit);
    const cap = this.#rule(parent.rate_limit);
    // Looser means a larger burst or a faster refill (GCRA: `requests` per `per_seconds`).
    if (own.requests > cap.requests || own.requests / own.per_seconds > cap.requests / cap.per_seconds) {
      throw new InvalidRequestError(`rate_limit may not be looser than that of the API token it is created through (${cap.requests} per ${cap.per_seconds} s)`);
    }
    return { allowed_ips: allowedIps, rate_limit: rateLimit ? { ...rateLimit } : null };
  }

  #rule(limit: ApiTokenRateLimit | null): ApiTokenRateLimit {
    return limit ?? { requests: this.policy.defaultRateLimit.requests, per_seconds: this.policy.defaultRateLimit.perSeconds };
  }

  async get(id: string, caller: Pick<Caller, 'owner'> = {}): Promise<ApiTokenRecord> {
    const record = /^tok_[A-Za-z0-9_-]{1,64}$/.test(id) ? await this.store.apiTokens.get(id) : null;
    // Another user's token is as absent as an unknown one: its id tells nothing.
    if (!record || (caller.owner !== undefined && record.user_id !== caller.owner)) throw new NotFoundError('API token does not exist');
    return record;
  }

  /**
   * Filters run over id-ordered pages of the store, so a page may hold
   * fewer than `limit` items; the scan per call is bounded, and
   * `next_cursor` resumes where it stopped. With `sort`, every matching
   * token is read (at most MAX_SORTED of them) and sorted here.
   */
  async list(filter: ApiTokenListFilter, page: PageRequest, caller: Pick<Caller, 'owner'> = {}): Promise<Page<ApiTokenRecord>> {
    let userId = caller.owner;
    if (userId === undefined && filter.user !== undefined) {
      const user = await this.store.users.get(filter.user) ?? await this.store.users.getByUsername(filter.user);
      if (!user) return { items: [], next_cursor: null };
      userId = user.id;
    }
    const keep = apiTokenMatcher(filter, this.now());
    if (filter.sort !== undefined) {
      const order = filter.order ?? (filter.sort === 'name' ? 'asc' : 'desc');
      return sortedPage(await this.everyMatching(userId, keep), filter.sort, order, page.limit, page.cursor);
    }
    if (filter.order !== undefined) throw new InvalidRequestError('order applies only with sort');
    const items: ApiTokenRecord[] = [];
    let cursor = page.cursor;
    for (let scanned = 0; scanned < MAX_SCAN_PAGES; scanned++) {
      const batch = await this.store.apiTokens.list({ userId }, { limit: page.limit, cursor });
      for (const t of batch.items) {
        if (!keep(t)) continue;
        items.push(t);
        if (items.length === page.limit) return { items, next_cursor: encodeCursor(t.id) };
      }
      if (batch.next_cursor === null) return { items, next_cursor: null };
      cursor = batch.next_cursor;
    }
    return { items, next_cursor: cursor ?? null };
  }

  /** Every token (of `userId`, when given) that passes `keep`; refuses to read more than MAX_SORTED. */
  private async everyMatching(userId: string | undefined, keep: (t: ApiTokenRecord) => boolean): Promise<ApiTokenRecord[]> {
    const out: ApiTokenRecord[] = [];
    let cursor: string | undefined;
    let read = 0;
    do {
      const batch = await this.store.apiTokens.list({ userId }, { limit: 200, cursor });
      read += batch.items.length;
      if (read > MAX_SORTED) throw new InvalidRequestError(`more than ${MAX_SORTED} tokens to sort: narrow the list with user, or leave out sort`);
      for (const t of batch.items) if (keep(t)) out.push(t);
      cursor = batch.next_cursor ?? undefined;
    } while (cursor !== undefined);
    return out;
  }

  /** A new secret under the same id; the old one keeps working for `graceSeconds` (RFC-free, but what deployments need). */
  async rotate(id: string, graceSeconds: number, caller: Caller): Promise<IssuedApiToken> {
    const current = await this.get(id, caller);
    const now = this.now();
    if (apiTokenStatus(current, now) !== 'active') throw new ConflictError(`the token is ${apiTokenStatus(current, now)}; create a new one`);
    const token = generateOpaqueToken('api');
    const graceEnd = Math.min(now + graceSeconds * 1000, current.expires_at);
    const next: ApiTokenRecord = {
      ...current,
      secret_hash: sha256Hex(token),
      previous_secret_hash: graceSeconds > 0 ? current.secret_hash : null,
      previous_expires_at: graceSeconds > 0 ? graceEnd : null,
      rotated_at: now,
      version: current.version + 1,
    };
    const outcome = await this.store.apiTokens.update(next, current.version);
    if (outcome === 'missing') throw new NotFoundError('API token does not exist');
    if (outcome === 'conflict') throw new ConflictError('the token changed meanwhile; retry');
    this.audit.record({ type: 'api_token.rotated', actor: caller.actor, subject: current.user_id, token_id: id, detail: { grace_period: graceSeconds } });
    return { record: next, token };
  }

  /**
   * Revokes at once (both secrets), and every token created through it.
   * Revoking a revoked token changes nothing (but its children, should an
   * earlier revocation have stopped half way) and answers it as it is.
   */
  async revoke(id: string, reason: string | null, caller: Caller): Promise<ApiTokenRecord> {
    const record = await this.#revokeOne(id, reason, caller);
    await this.#revokeChildren(id, caller.actor);
    return record;
  }

  async #revokeChildren(parentId: string, actor: Actor): Promise<void> {
    for (const child of await this.store.apiTokens.children(parentId)) {
      // Whoever owns them: a child made through an admin's token may belong to another user.
      await this.revoke(child, `the API token it was created through (${parentId}) was revoked`, { actor });
    }
  }

  async #revokeOne(id: string, reason: string | null, caller: Caller): Promise<ApiTokenRecord> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const current = await this.get(id, caller);
      if (current.revoked_at !== null) return current;
      const now = this.now();
      const next: ApiTokenRecord = {
        ...current, revoked_at: now, revoked_by: caller.actor, revocation_reason: reason,
        // The history stays listed for the retention period from now.
        purge_at: now + this.policy.retention * 1000, version: current.version + 1,
      };
      const outcome = await this.store.apiTokens.update(next, current.version);
      if (outcome === 'missing') throw new NotFoundError('API token does not exist');
      if (outcome === 'updated') {
        // Access tokens already exchanged from it die with it (checked in the validator's one round trip).
        await this.store.revocations.add(apiTokenRevocationId(id), now + this.policy.derivedTokenLifetime * 1000);
        this.audit.record({ type: 'api_token.revoked', actor: caller.actor, subject: current.user_id, token_id: id, detail: { reason } });
        return next;
      }
    }
    throw new ConflictError('the token keeps changing; retry');
  }

  /**
   * Replaces an active token's scopes with `keep`, a subset of them (the
   * least-privilege narrowing); never widens. The removed scopes are in the
   * audit event.
   */
  async narrow(id: string, keep: readonly string[], caller: Caller, detail: Record<string, unknown> = {}): Promise<{ record: ApiTokenRecord; removed: string[] }> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const current = await this.get(id, caller);
      const now = this.now();
      if (apiTokenStatus(current, now) !== 'active') throw new ConflictError(`the token is ${apiTokenStatus(current, now)}; nothing to narrow`);
      const scopes = current.scopes.filter((s) => keep.includes(s));
      const removed = current.scopes.filter((s) => !scopes.includes(s));
      if (removed.length === 0) return { record: current, removed };
      if (scopes.length === 0) throw new ConflictError('a token keeps at least one scope; revoke it instead');
      const next: ApiTokenRecord = { ...current, scopes, version: current.version + 1 };
      const outcome = await this.store.apiTokens.update(next, current.version);
      if (outcome === 'missing') throw new NotFoundError('API token does not exist');
      if (outcome === 'updated') {
        this.audit.record({ type: 'api_token.narrowed', actor: caller.actor, subject: current.user_id, token_id: id, detail: { ...detail, scopes, removed } });
        return { record: next, removed };
      }
    }
    throw new ConflictError('the token keeps changing; retry');
  }

  /** Pauses an active token (the suspicious-use policy): refused until resumed. Pausing a paused token keeps the first reason. */
  async pause(id: string, reason: string, caller: Caller): Promise<void> {
    const changed = await this.setPause(id, caller, (t) => ((t.paused_at ?? null) === null ? { paused_at: this.now(), pause_reason: reason } : null));
    if (changed) this.audit.record({ type: 'api_token.paused', actor: caller.actor, subject: changed.user_id, token_id: id, detail: { reason } });
  }

  /** Lifts a pause: the owner (or an admin) says the use was theirs. Resuming a token that is not paused changes nothing. */
  async resume(id: string, caller: Caller): Promise<ApiTokenRecord> {
    const changed = await this.setPause(id, caller, (t) => ((t.paused_at ?? null) !== null ? { paused_at: null, pause_reason: null } : null));
    if (changed) this.audit.record({ type: 'api_token.resumed', actor: caller.actor, subject: changed.user_id, token_id: id });
    return changed ?? this.get(id, caller);
  }

  /** Compare-and-set of the pause fields; null when `change` says there is nothing to do. */
  private async setPause(id: string, caller: Caller, change: (t: ApiTokenRecord) => Pick<ApiTokenRecord, 'paused_at' | 'pause_reason'> | null): Promise<ApiTokenRecord | null> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const current = await this.get(id, caller);
      const now = this.now();
      if (apiTokenStatus(current, now) !== 'active') throw new ConflictError(`the token is ${apiTokenStatus(current, now)}`);
      const fields = change(current);
      if (fields === null) return null;
      const next: ApiTokenRecord = { ...current, ...fields, version: current.version + 1 };
      const outcome = await this.store.apiTokens.update(next, current.version);
      if (outcome === 'missing') throw new NotFoundError('API token does not exist');
      if (outcome === 'updated') return next;
    }
    throw new ConflictError('the token keeps changing; retry');
  }

  /**
   * Ends an active token now without revoking it (the unused-token policy
   * `expire`): it shows as expired, keeps its history for the retention
   * period, and access tokens exchanged from it run out on their own.
   * Null when it had already ended (revoked or expired) meanwhile.
   */
  async expireNow(id: string, reason: string, caller: Caller): Promise<ApiTokenRecord | null> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const current = await this.get(id, caller);
      const now = this.now();
      if (apiTokenStatus(current, now) !== 'active') return null;
      const next: ApiTokenRecord = { ...current, expires_at: now, purge_at: now + this.policy.retention * 1000, version: current.version + 1 };
      const outcome = await this.store.apiTokens.update(next, current.version);
      if (outcome === 'missing') return null;
      if (outcome === 'updated') {
        this.audit.record({ type: 'api_token.expired_early', actor: caller.actor, subject: current.user_id, token_id: id, detail: { reason } });
        return next;
      }
    }
    throw new ConflictError('the token keeps changing; retry');
  }
}
