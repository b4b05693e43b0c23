/**
 * Refresh tokens (`tsr_`): opaque, stored only as SHA-256 hashes, in
 * families. Every use rotates (RFC 9700 §4.14.2); presenting a consumed
 * token revokes the whole family, except for a retry by the same client
 * within a short grace window, which gets the same successor back (derived
 * from the old token and a salt the store keeps: refresh-successor.ts).
 *
 * A token names its family: the first half of its random part (16 base62
 * characters, about 95 bits) is the family's secret part, the same in every
 * token of the family, and the family id is derived from it (a UUID made of
 * its SHA-256), so the id says nothing about the secret part. The second
 * half (about 95 bits) is new at every rotation. The store keeps only the
 * hash of the family's live token: a token whose family exists but which is
 * not the live one was rotated away (or was made by someone holding a token
 * of the family), which is reuse, for the family's whole life. Guessing a
 * live token takes both halves (about 190 bits) from anyone without a token
 * of the family; a holder of an old token who guesses the second half gets
 * the family revoked at the first wrong guess.
 */
import type {
  FamilyAccessToken, PeekThenTake, RefreshFamilyRecord, RefreshTokenRecord, RotateArgs, RotationChecks, RotationLimits, RotationOutcome, Store,
} from '../../store/store.js';
import { sha256 } from '../crypto/sha256.js';
import { uuidText } from '../ids/uuid-text.js';
import { derivedSuccessor, keptSuccessor } from './refresh-successor.js';
import { generateOpaqueTokenWithHead, HEAD_LENGTH, OPAQUE_PREFIXES, parseOpaqueToken } from './opaque-token.js';

/** Where the family's secret part sits in a token. */
const HEAD_AT = OPAQUE_PREFIXES.refresh.length;

/** The family id of a secret part: a UUID (version 4 layout) of its SHA-256, so that sessions keep their id format. */
function familyIdOf(head: string): string {
  // One-shot crypto.hash (no Hash object): every rotation hashes a token three times.
  const h = sha256(`tessera refresh family\0${head}`);
  h[6] = (h[6]! & 0x0f) | 0x40;
  h[8] = (h[8]! & 0x3f) | 0x80;
  return uuidText(h);
}

/**
 * The family a refresh token names and the hash it is kept under: the first
 * 128 bits of its SHA-256, base64url (22 characters: the store compares it
 * with the family's live token; finding another token with the same 128
 * bits is out of reach, and it saves bytes per live token); null when it is
 * not a well-formed refresh token.
 */
export function refreshTokenRef(token: string): RefreshTokenRef | null {
  if (parseOpaqueToken(token) !== 'refresh') return null;
  return { familyId: familyIdOf(token.slice(HEAD_AT, HEAD_AT + HEAD_LENGTH)), tokenHash: tokenHashOf(token) };
}

export interface RefreshTokenRef {
  familyId: string;
  tokenHash: string;
}

/** The hash a refresh token is kept under (see refreshTokenRef). */
function tokenHashOf(token: string): string {
  return sha256(token).toString('base64url', 0, 16);
}

/** A new refresh token: of a new family, or the next one of `token`'s family. */
export function newRefreshToken(of?: string): string {
  return generateOpaqueTokenWithHead('refresh', of?.slice(HEAD_AT, HEAD_AT + HEAD_LENGTH));
}

export type Rotation =
  /** `scopes`: the successor's, when the store chose them (`checks`). */
  | { outcome: 'rotated'; family: RefreshFamilyRecord; token: string; scopes?: string[] }
  | { outcome: 'grace'; family: RefreshFamilyRecord; token: string }
  | { outcome: 'reuse'; family: RefreshFamilyRecord; accessTokens: FamilyAccessToken[] }
  | { outcome: 'scope_outside'; family: RefreshFamilyRecord }
  | { outcome: 'invalid' | 'wrong_client' | 'key_bound' };

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
    const token = newRefreshToken();
    const ref = refreshTokenRef(token)!;
    const family: RefreshFamilyRecord = {
      family_id: ref.familyId,
      client_id: args.clientId,
      user_id: args.userId,
      scopes: [...args.scopes],
      auth_time: args.authTime,
      created_at: now,
      expires_at: now + this.ttlSeconds * 1000,
      ...(args.jkt ? { jkt: args.jkt } : {}),
    };
    const first: RefreshTokenRecord = { token_hash: ref.tokenHash, family_id: family.family_id, scopes: [...args.scopes], created_at: now };
    await this.store.refreshTokens.createFamily(family, first);
    return { token, family };
  }

  /** The live token's record and family; null for anything else. The format is checked before any lookup. */
  async lookup(token: string, ref: RefreshTokenRef | null = refreshTokenRef(token)): Promise<{ token: RefreshTokenRecord; family: RefreshFamilyRecord } | null> {
    return ref ? this.store.refreshTokens.get(ref.familyId, ref.tokenHash, this.now()) : null;
  }

  /**
   * Consumes `token` and returns its successor (one atomic store step,
   * which also remembers `accessToken`, the access token about to be issued
   * with the successor, so that revoking the family revokes it). `ref`:
   * refreshTokenRef(token), when the caller has it already; `known`: the
   * family as lookup() found it, which the store then need not send back.
   * `checks`: for a caller that did not look the token up, what the store
   * checks before consuming it (RotationChecks); the successor's scopes are
   * then the ones asked, or the live token's.
   */
  async rotate(
    token: string, clientId: string, scopes: readonly string[], accessToken: FamilyAccessToken | null = null,
    ref: RefreshTokenRef | null = refreshTokenRef(token), known: RefreshFamilyRecord | null = null, checks: RotationChecks | null = null,
  ): Promise<Rotation> {
    if (!ref) return { outcome: 'invalid' };
    const { args, successor } = this.#rotation(token, ref, clientId, scopes, accessToken, known, checks);
    return this.#outcome(token, successor, await this.store.refreshTokens.rotate(args));
  }

  /**
   * rotate() with `checks`, within the rate limits of the token endpoint,
   * in one store step where the store can (RefreshTokenRepository.rotateLimited;
   * undefined where it cannot). `rotation` is null when a limit refused.
   */
  rotateLimited(
    token: string, ref: RefreshTokenRef, clientId: string, checks: RotationChecks, accessToken: FamilyAccessToken, limits: RotationLimits,
  ): Promise<{ limits: PeekThenTake; rotation: Rotation | null }> | undefined {
    const store = this.store.refreshTokens;
    if (!store.rotateLimited) return undefined;
    const { args, successor } = this.#rotation(token, ref, clientId, [], accessToken, null, checks);
    return store.rotateLimited(limits, args).then((done) => ({
      limits: done.limits,
      rotation: done.rotation ? this.#outcome(token, successor, done.rotation) : null,
    }));
  }

  #rotation(
    token: string, ref: RefreshTokenRef, clientId: string, scopes: readonly string[], accessToken: FamilyAccessToken | null,
    known: RefreshFamilyRecord | null, checks: RotationChecks | null,
  ): { args: RotateArgs; successor: string } {
    const now = this.now();
    // With a grace window the successor is derived, so that a retry can be given it again; without one, nothing is kept.
    const { successor, kept } = this.graceMs > 0 ? derivedSuccessor(token) : { successor: newRefreshToken(token), kept: '' };
    const args: RotateArgs = {
      familyId: ref.familyId,
      tokenHash: ref.tokenHash,
      clientId,
      // Made here, so its shape is known: only its hash is needed.
      successor: { token_hash: tokenHashOf(successor), family_id: ref.familyId, scopes: [...scopes], created_at: now },
      successorSealed: kept,
      nowMs: now,
      graceMs: this.graceMs,
      accessToken,
      known,
      checks,
    };
    return { args, successor };
  }

  #outcome(token: string, successor: string, result: RotationOutcome): Rotation {
    switch (result.outcome) {
      case 'rotated':
        return { outcome: 'rotated', family: result.family, token: successor, ...(result.scopes ? { scopes: result.scopes } : {}) };
      case 'grace': {
        const previous = keptSuccessor(result.successor_sealed, token);
        return previous ? { outcome: 'grace', family: result.family, token: previous } : { outcome: 'invalid' };
      }
      case 'reuse':
        return { outcome: 'reuse', family: result.family, accessTokens: result.access_tokens };
      case 'scope_outside':
        return { outcome: 'scope_outside', family: result.family };
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
