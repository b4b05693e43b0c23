/**
 * RFC 9449 §8 and §9: server-provided nonces, stateless. A nonce is an HMAC
 * of the current minute under a server secret, so any instance sharing the
 * secret checks it without a store lookup, and it expires by itself: it is
 * accepted in the minute it was made and the two after (so 2 to 3 minutes),
 * and a minute ahead too, for instances whose clocks differ a little.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

const STEP_SECONDS = 60;
const ACCEPTED_STEPS = [-2, -1, 0, 1] as const;

export class DpopNonces {
  #secret: Promise<Buffer> | null = null;

  constructor(
    /** Resolves the secret (e.g. from the store); called once, then cached. */
    private readonly secret: () => Promise<Buffer>,
    private readonly nowMs: () => number = Date.now,
  ) {}

  #key(): Promise<Buffer> {
    this.#secret ??= this.secret().catch((err: unknown) => {
      // A failed read (store down) must not stick: try again on the next request.
      this.#secret = null;
      throw err;
    });
    return this.#secret;
  }

  #value(key: Buffer, step: number): string {
    return createHmac('sha256', key).update(`tessera-dpop-nonce:${step}`).digest('base64url');
  }

  /** The nonce to hand out now (the `DPoP-Nonce` header). */
  async current(): Promise<string> {
    return this.#value(await this.#key(), Math.floor(this.nowMs() / 1000 / STEP_SECONDS));
  }

  /** Whether `nonce` is one this server made within the accepted minutes; constant time per candidate. */
  async isValid(nonce: string): Promise<boolean> {
    const key = await this.#key();
    const step = Math.floor(this.nowMs() / 1000 / STEP_SECONDS);
    const given = Buffer.from(nonce);
    let ok = false;
    for (const d of ACCEPTED_STEPS) {
      const expected = Buffer.from(this.#value(key, step + d));
      if (given.length === expected.length && timingSafeEqual(given, expected)) ok = true;
    }
    return ok;
  }
}
