/**
 * Refresh tokens (`tsr_`): opaque, stored only as SHA-256 hashes, in
 * families. Every use rotates (RFC 9700 §4.14.2); presenting a consumed
 * token revokes the whole family, except for a retry by the same client
 * within a short grace window, which gets the same successor back (sealed
 * with a key only the old token derives).
 */
import { randomUUID } from 'node:crypto';
import type { FamilyAccessToken, RefreshFamilyRecord, RefreshTokenRecord, RotationOutcome, Store } from '../../store/store.js';
import { sha256Hex } from '../crypto/secret-hash.js';
import { seal, unseal } from '../crypto/seal.js';
import { generateOpaqueToken, parseOpaqueToken } from './opaque-token.js';

export type Rotation =
  | { outcome: 'rotated' | 'grace'; family: RefreshFamilyRecord; token: string }
  | { outcome: 'reuse'; family: RefreshFamilyRecord; accessTokens: FamilyAccessToken[] }
  | { outcome: 'invalid' | 'wrong_client' };

export class RefreshTokenService {
  constructor(
    private readonly store: Store,
    /** Absolute lifetime of a family, seconds (TESSERA_REFRESH_TOKEN_TTL). */
    private readonly ttlSeconds: number,
    /** Retry window after a rotation; 0 disables it. */
    private readonly graceMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Starts a family for a new grant; returns its first token. */
  async startFamily(args: { clientId: string; userId: string; scopes: readonly string[]; authTime: number; jkt?: string | null }): Promise<{ token: string; family: RefreshFamilyRecord }> {
    const now = this.now();
    const family: RefreshFamilyRecord = {
      family_id: randomUUID(),
      client_id: args.clientId,
      user_id: args.userId,
      scopes: [...args.scopes],
      auth_time: args.authTime,
      created_at: now,
      expires_at: now + this.ttlSeconds * 1000,
      ...(args.jkt ? { jkt: args.jkt } : {}),
    };
    const token = generateOpaqueToken('refresh');
    const first: RefreshTokenRecord = { token_hash: sha256Hex(token), family_id: family.family_id, scopes: [...args.scopes], created_at: now };
    await this.store.refreshTokens.createFamily(family, first);
    return { token, family };
  }

  /** The live token's record and family; null for anything else. The format is checked before any lookup. */
  async lookup(token: string): Promise<{ token: RefreshTokenRecord; family: RefreshFamilyRecord } | null> {
    if (parseOpaqueToken(token) !== 'refresh') return null;
    return this.store.refreshTokens.get(sha256Hex(token), this.now());
  }

  /**
   * Consumes `token` and returns its successor (one atomic store step).
   * `familyId` is the family `lookup` found; a token's family never changes,
   * and when the token is no longer live the successor is not written.
   */
  async rotate(token: string, clientId: string, scopes: readonly string[], familyId: string): Promise<Rotation> {
    if (parseOpaqueToken(token) !== 'refresh') return { outcome: 'invalid' };
    const now = this.now();
    const successor = generateOpaqueToken('refresh');
    const result: RotationOutcome = await this.store.refreshTokens.rotate({
      tokenHash: sha256Hex(token),
      clientId,
      successor: { token_hash: sha256Hex(successor), family_id: familyId, scopes: [...scopes], created_at: now },
      successorSealed: seal(successor, token),
      nowMs: now,
      graceMs: this.graceMs,
    });
    switch (result.outcome) {
      case 'rotated':
        return { outcome: 'rotated', family: result.family, token: successor };
      case 'grace': {
        const previous = unseal(result.successor_sealed, token);
        return previous ? { outcome: 'grace', family: result.family, token: previous } : { outcome: 'invalid' };
      }
      case 'reuse':
        return { outcome: 'reuse', family: result.family, accessTokens: result.access_tokens };
      default:
        return { outcome: result.outcome };
    }
  }

  /** Ends a family and puts its access tokens on the revocation list. */
  async revokeFamily(familyId: string): Promise<boolean> {
    const accessTokens = await this.store.refreshTokens.revokeFamily(familyId);
    if (accessTokens === null) return false;
    await this.revokeAccessTokens(accessTokens);
    return true;
  }

  async revokeAccessTokens(tokens: readonly FamilyAccessToken[]): Promise<void> {
    await Promise.all(tokens.map((t) => this.store.revocations.add(t.jti, t.expires_at)));
  }
}
