/**
 * The immutable view the hot path reads: the signing key, the published
 * verification keys by kid, and the JWKS serialised once with its ETag.
 * Built on every key change and when a retired key's publish window ends,
 * never per request.
 */
import { createHash } from 'node:crypto';
import { ConfigError } from '../errors.js';
import type { LoadedKey } from './key-material.js';
import type { KeyTimes } from './key-schedule.js';
import type { JwksDocument, KeyInfo, SigningKey, VerificationKey } from './types.js';

export interface KeySnapshot {
  readonly signing: SigningKey;
  readonly verification: ReadonlyMap<string, VerificationKey>;
  readonly jwks: JwksDocument;
  /** The time from which this snapshot is out of date (a retired key leaves the JWKS); Infinity if never. */
  readonly staleAt: number;
}

/**
 * Next and active keys are always published; a retired key until every
 * token it signed has expired (`windowMs` = access-token TTL + clock skew).
 */
export function isPublished(k: LoadedKey, now: number, windowMs: number): boolean {
  return k.file.state !== 'retired' || (k.retiredAt ?? 0) + windowMs > now;
}

/** The key that signs: the most recently activated active key. */
export function pickSigningKey(keys: readonly LoadedKey[]): LoadedKey | undefined {
  let best: LoadedKey | undefined;
  for (const k of keys) {
    if (k.file.state !== 'active') continue;
    const t = k.activatedAt ?? 0;
    const bt = best?.activatedAt ?? 0;
    if (!best || t > bt || (t === bt && k.file.kid < best.file.kid)) best = k;
  }
  return best;
}

const STATE_ORDER = { active: 0, next: 1, retired: 2 } as const;

/** Sorted the same way by every instance, so that they all serve the same body and ETag. */
function jwksBody(published: readonly LoadedKey[]): string {
  const sorted = [...published].sort(
    (a, b) => STATE_ORDER[a.file.state] - STATE_ORDER[b.file.state] || a.file.kid.localeCompare(b.file.kid),
  );
  const keys = sorted.map((k) => ({ ...k.publicJwk, kid: k.file.kid, alg: k.file.alg, use: 'sig' }));
  return JSON.stringify({ keys });
}

export function buildSnapshot(keys: readonly LoadedKey[], now: number, windowMs: number): KeySnapshot {
  const signer = pickSigningKey(keys);
  if (!signer) throw new ConfigError(['TESSERA_KEYS_DIR has no active signing key']);
  const published = keys.filter((k) => isPublished(k, now, windowMs));
  const verification = new Map<string, VerificationKey>();
  let staleAt = Infinity;
  for (const k of published) {
    verification.set(k.file.kid, Object.freeze({ kid: k.file.kid, alg: k.file.alg, publicKey: k.publicKey }));
    if (k.file.state === 'retired') staleAt = Math.min(staleAt, (k.retiredAt ?? 0) + windowMs);
  }
  const body = jwksBody(published);
  // Strong ETag (RFC 9110 §8.8.3): same bytes, same tag, on every instance.
  const etag = `"${createHash('sha256').update(body, 'utf8').digest('base64url')}"`;
  return Object.freeze({
    signing: Object.freeze({ kid: signer.file.kid, alg: signer.file.alg, privateKey: signer.privateKey }),
    verification,
    jwks: Object.freeze({ body, length: Buffer.byteLength(body, 'utf8'), etag }),
    staleAt,
  });
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function keyInfo(k: LoadedKey, now: number, windowMs: number, times?: KeyTimes): KeyInfo {
  const steps = [times?.activatesAt, times?.retiresAt, times?.removedAt].filter((t): t is number => typeof t === 'number');
  return {
    kid: k.file.kid,
    alg: k.file.alg,
    state: k.file.state,
    created_at: k.file.created_at,
    activated_at: k.file.activated_at,
    retired_at: k.file.retired_at,
    published: isPublished(k, now, windowMs),
    activates_at: iso(times?.activatesAt ?? null),
    retires_at: iso(times?.retiresAt ?? null),
    removed_at: iso(times?.removedAt ?? null),
    next_transition_at: iso(steps.length ? Math.min(...steps) : null),
  };
}
