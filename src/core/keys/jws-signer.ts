/**
 * Compact JWS signing (RFC 7515 §7.1) with `node:crypto` and the key's
 * KeyObject, loaded once per key (key-material.ts): the signing input is the
 * base64url of the header's and the payload's JSON, so building it is JSON
 * and base64url, not JWT parsing; only the signature is cryptography, and
 * node:crypto does it. Verification stays with jose, which is what the
 * tests check every token against.
 *
 * RFC 7518 §3: EdDSA (RFC 8037 §3.1) signs the input itself; ES256 is ECDSA
 * P-256 + SHA-256 with the signature as R || S (§3.4, `ieee-p1363`, not
 * DER); RS256 is RSASSA-PKCS1-v1_5 + SHA-256 (§3.3); PS256 is RSASSA-PSS +
 * SHA-256 with MGF1-SHA-256 and a salt as long as the hash (§3.5).
 *
 * EdDSA and ES256 sign in a few tens of microseconds, less than handing the
 * work to the thread pool costs, so they sign in line; an RSA signature takes
 * a millisecond or more and is signed on the thread pool, never blocking the
 * event loop.
 */
import { constants, sign, type KeyObject, type SignKeyObjectInput, type SignPrivateKeyInput } from 'node:crypto';
import type { SigningAlg, SigningKey } from './types.js';

type KeyInput = KeyObject | SignKeyObjectInput | SignPrivateKeyInput;

interface AlgSpec {
  /** The digest node:crypto takes; null for EdDSA, whose curve fixes it. */
  digest: 'sha256' | null;
  input(key: KeyObject): KeyInput;
  /** Signed on the thread pool (RSA) rather than in line. */
  offload: boolean;
}

const ALGS: Readonly<Record<SigningAlg, AlgSpec>> = {
  EdDSA: { digest: null, input: (key) => key, offload: false },
  ES256: { digest: 'sha256', input: (key) => ({ key, dsaEncoding: 'ieee-p1363' }), offload: false },
  RS256: { digest: 'sha256', input: (key) => ({ key, padding: constants.RSA_PKCS1_PADDING }), offload: true },
  PS256: { digest: 'sha256', input: (key) => ({ key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }), offload: true },
};

export function base64urlJson(value: unknown): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}

/** Signs for one key; made once per key (and header) and kept by its user. */
export class JwsSigner {
  readonly kid: string;
  readonly alg: SigningAlg;
  readonly #spec: AlgSpec;
  readonly #key: KeyInput;
  /** The encoded protected header and its `.`, computed once. */
  readonly #prefix: string;

  constructor(key: SigningKey, header: Readonly<Record<string, unknown>>) {
    this.kid = key.kid;
    this.alg = key.alg;
    this.#spec = ALGS[key.alg];
    if (!this.#spec) throw new Error(`no signer for alg ${String(key.alg)}`);
    this.#key = this.#spec.input(key.privateKey);
    // RFC 7515 §4.1.1/4.1.4: alg and kid first, as jose writes them, then the caller's members.
    this.#prefix = `${base64urlJson({ alg: key.alg, kid: key.kid, ...header })}.`;
  }

  /** The compact serialization of `payload` (a JSON object) under this signer's header. */
  async sign(payload: Readonly<Record<string, unknown>>): Promise<string> {
    const input = this.#prefix + base64urlJson(payload);
    const data = Buffer.from(input, 'latin1');
    const signature = this.#spec.offload
      ? await new Promise<Buffer>((resolve, reject) => sign(this.#spec.digest, data, this.#key, (err, sig) => (err ? reject(err) : resolve(sig))))
      : sign(this.#spec.digest, data, this.#key);
    return `${input}.${signature.toString('base64url')}`;
  }
}
