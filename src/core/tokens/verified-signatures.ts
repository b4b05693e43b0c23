/**
 * Access tokens whose signature and fixed claims (typ, iss, alg, the claims
 * RFC 9068 requires) this process already verified, by the token's SHA-256.
 * A resource server introspects the same token on every request it serves,
 * and checking an Ed25519 or RSA signature costs more than the rest of an
 * introspection. What can change is still checked on every use: the time
 * (`exp`, by the caller), the revocation list and the client (by the
 * validator), and the key: an entry counts only while the key that verified
 * it is still one this server verifies with (a key removed from the JWKS
 * ends its tokens here too). Bounded: the oldest entry goes first.
 */
import type { JWTPayload } from 'jose';
import type { KeyObject } from 'node:crypto';

/** A token verified before: its claims, and the key (by kid) that verified them. */
export interface VerifiedEntry {
  readonly payload: JWTPayload;
  readonly kid: string;
  readonly key: KeyObject;
}

/** The key a kid names now, if the server still verifies with one under it. */
export type CurrentKey = (kid: string) => KeyObject | undefined;

export class VerifiedSignatures {
  readonly #entries = new Map<string, VerifiedEntry>();

  constructor(private readonly max: number) {}

  /** The claims of the token with this hash, when verified before by a key that `current` still holds. */
  get(hash: string, current: CurrentKey): JWTPayload | undefined {
    return this.entry(hash, current)?.payload;
  }

  /** get()'s entry, for a caller that checks it again later (VerifiedSignatures.holds) instead of looking it up again. */
  entry(hash: string, current: CurrentKey): VerifiedEntry | undefined {
    const e = this.#entries.get(hash);
    if (!e) return undefined;
    if (!VerifiedSignatures.holds(e, current)) {
      this.#entries.delete(hash);
      return undefined;
    }
    return e;
  }

  /** Whether the key that verified `e` is still the one `current` holds under its kid. */
  static holds(e: VerifiedEntry, current: CurrentKey): boolean {
    return current(e.kid) === e.key;
  }

  set(hash: string, payload: JWTPayload, kid: string, key: KeyObject): void {
    if (this.max <= 0) return;
    if (this.#entries.size >= this.max) this.#entries.delete(this.#entries.keys().next().value!);
    this.#entries.set(hash, { payload, kid, key });
  }

  delete(hash: string): void {
    this.#entries.delete(hash);
  }

  get size(): number {
    return this.#entries.size;
  }
}
