import type { KeyObject } from 'node:crypto';

export const SIGNING_ALGS = ['EdDSA', 'ES256', 'RS256', 'PS256'] as const;
export type SigningAlg = (typeof SIGNING_ALGS)[number];

/**
 * next: published in the JWKS, not yet signing (so caches learn it first);
 * active: signing new tokens; retired: published until every token it signed
 * has expired, then dropped from the JWKS.
 */
export type KeyState = 'next' | 'active' | 'retired';

export interface KeyInfo {
  kid: string;
  alg: SigningAlg;
  state: KeyState;
  created_at: string;
  activated_at: string | null;
  retired_at: string | null;
  /** Whether the key is in the JWKS now. */
  published: boolean;
  /**
   * Under a rotation schedule (TESSERA_KEY_ROTATION_INTERVAL), when this
   * next key starts signing, this active key retires, this retired key is
   * deleted; and the soonest of these. Null without a schedule or a step.
   */
  activates_at: string | null;
  retires_at: string | null;
  removed_at: string | null;
  next_transition_at: string | null;
}

export interface SigningKey {
  kid: string;
  alg: SigningAlg;
  privateKey: KeyObject;
}

export interface VerificationKey {
  kid: string;
  alg: SigningAlg;
  publicKey: KeyObject;
}

export interface JwksDocument {
  /** The serialised `{"keys":[...]}`, computed once per key change. */
  body: string;
  /** `body`'s length in UTF-8 bytes (the Content-Length). */
  length: number;
  /** A strong ETag of `body`. */
  etag: string;
}

export interface RotationResult {
  active: string;
  next: string;
  retired: string | null;
}

/** What token signing and verification need of the key manager. */
export interface KeyRing {
  signingKey(): SigningKey;
  verificationKey(kid: string): VerificationKey | undefined;
}
