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

interface Entry {
  payload: JWTPayload;
  kid: string;
  key: KeyObject;
}

export class VerifiedSignatures {
  readonly #entries = new Map<string, Entry>();

  constructor(private readonly max: number) {}

  /** The claims of the token with this hash, when verified before by a key that `current` still holds. */
  get(hash: string, current: (kid: string) => KeyObject | undefined): JWTPayload | undefined {
    const e = this.#entries.get(hash);
    if (!e) return undefined;
    if (current(e.kid) !== e.key) {
      this.#entries.delete(hash);
      return undefined;
    }
    return e.payload;
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
