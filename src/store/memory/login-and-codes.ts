/** Login counters, pending authorization requests and codes in memory (same behaviour as src/store/redis/login-and-codes.ts). */
import { attemptPause } from '../user-records.js';
import type {
  AttemptCounter, AttemptRule, AttemptWindow, AuthorizationCodeRecord, AuthorizationCodeRepository, AuthorizationRequestRecord,
  AuthorizationRequestRepository, CodeConsumption, CodeIssuance,
} from '../store.js';
import { ExpiringMap } from './expiring-map.js';

export class MemoryAttemptCounter implements AttemptCounter {
  readonly map: ExpiringMap<AttemptWindow>;
  constructor(private readonly assertOpen: () => void, now: () => number) {
    this.map = new ExpiringMap(now);
  }
  async hit(key: string, nowMs: number, windowMs: number): Promise<AttemptWindow> {
    this.assertOpen();
    const w = { count: (this.map.get(key)?.count ?? 0) + 1, lastAt: nowMs };
    this.map.set(key, w, nowMs + windowMs);
    return { ...w };
  }
  async reserve(key: string, nowMs: number, rule: AttemptRule): Promise<{ allowed: boolean; retryAfterMs: number }> {
    this.assertOpen();
    const w = this.map.get(key) ?? { count: 0, lastAt: null };
    const wait = (w.lastAt ?? nowMs) + attemptPause(w, rule) - nowMs;
    if (wait > 0) return { allowed: false, retryAfterMs: wait };
    this.map.set(key, { count: w.count + 1, lastAt: nowMs }, nowMs + rule.windowMs);
    return { allowed: true, retryAfterMs: 0 };
  }
  async release(key: string): Promise<void> {
    this.assertOpen();
    const w = this.map.get(key);
    const until = this.map.expiresAt(key);
    if (w && w.count > 0 && until !== undefined) this.map.set(key, { ...w, count: w.count - 1 }, until);
  }
  async get(key: string): Promise<AttemptWindow> {
    this.assertOpen();
    const w = this.map.get(key);
    return w ? { ...w } : { count: 0, lastAt: null };
  }
  async reset(key: string): Promise<void> {
    this.assertOpen();
    this.map.delete(key);
  }
}

export class MemoryAuthorizationRequests implements AuthorizationRequestRepository {
  readonly map: ExpiringMap<AuthorizationRequestRecord>;
  constructor(private readonly assertOpen: () => void, now: () => number) {
    this.map = new ExpiringMap(now);
  }
  async put(request: AuthorizationRequestRecord): Promise<void> {
    this.assertOpen();
    this.map.set(request.id, structuredClone(request), request.expires_at);
  }
  async get(id: string): Promise<AuthorizationRequestRecord | null> {
    this.assertOpen();
    const r = this.map.get(id);
    return r ? structuredClone(r) : null;
  }
  async delete(id: string): Promise<void> {
    this.assertOpen();
    this.map.delete(id);
  }
}

export class MemoryAuthorizationCodes implements AuthorizationCodeRepository {
  readonly codes: ExpiringMap<AuthorizationCodeRecord>;
  readonly used: ExpiringMap<CodeIssuance | null>;
  constructor(private readonly assertOpen: () => void, now: () => number) {
    this.codes = new ExpiringMap(now);
    this.used = new ExpiringMap(now);
  }
  async save(code: AuthorizationCodeRecord): Promise<void> {
    this.assertOpen();
    this.codes.set(code.code_hash, structuredClone(code), code.expires_at);
  }
  async consume(codeHash: string, nowMs: number, replayWindowMs: number): Promise<CodeConsumption> {
    this.assertOpen();
    const code = this.codes.get(codeHash);
    if (code) {
      this.codes.delete(codeHash);
      this.used.set(codeHash, null, nowMs + Math.max(1, replayWindowMs));
      return code.expires_at > nowMs ? { status: 'consumed', code: structuredClone(code) } : { status: 'unknown' };
    }
    const issued = this.used.get(codeHash);
    if (issued !== undefined) return { status: 'replayed', issued: issued ? { ...issued } : null };
    return { status: 'unknown' };
  }
  async recordIssuance(codeHash: string, issued: CodeIssuance): Promise<void> {
    this.assertOpen();
    const until = this.used.expiresAt(codeHash);
    if (until !== undefined) this.used.set(codeHash, { ...issued }, until);
  }
}
