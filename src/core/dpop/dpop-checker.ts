/**
 * DPoP (RFC 9449) as Tessera itself applies it: at the token endpoint, a
 * proof binds what is issued to the client's key (§5); at its own
 * bearer-protected APIs, a DPoP-bound token needs a proof of that key (§7).
 * Every accepted proof's `jti` is claimed once in the store (§11.1), so a
 * proof replayed to any instance is refused.
 */
import { randomBytes } from 'node:crypto';
import type { ClientRecord, Store } from '../../store/store.js';
import { InvalidDpopProofError } from '../errors.js';
import { DpopNonces } from './dpop-nonces.js';
import { verifyDpopProof, type VerifiedProof } from './dpop-proof.js';

export interface DpopSettings {
  iatWindowSeconds: number;
  requireNonce: boolean;
}

export class DpopChecker {
  readonly nonces: DpopNonces;

  constructor(
    private readonly store: Store,
    private readonly issuer: string,
    private readonly settings: DpopSettings,
    private readonly nowMs: () => number = Date.now,
  ) {
    // One secret for every instance on the store, made by whichever asks first.
    this.nonces = new DpopNonces(
      async () => Buffer.from(await store.secrets.getOrCreate('dpop-nonce', randomBytes(32).toString('base64url')), 'utf8'),
      nowMs,
    );
  }

  /**
   * RFC 9449 §5: the key a token request binds its tokens to, or null when
   * it sent no proof. A client registered with `dpop_bound_access_tokens`
   * must send one (§5.2).
   */
  forTokenRequest(proof: string | undefined, client: ClientRecord): Promise<string | null> | null {
    if (proof === undefined) {
      if (client.dpop_bound_access_tokens) throw new InvalidDpopProofError('this client must send a DPoP proof with every token request');
      // Answered at once, not as a promise: a request without a proof (nearly all) waits for nothing here.
      return null;
    }
    return this.#bind(proof);
  }

  async #bind(proof: string): Promise<string> {
    const verified = await verifyDpopProof(proof, {
      method: 'POST',
      url: `${this.issuer}/oauth/token`,
      iatWindowSeconds: this.settings.iatWindowSeconds,
      nowSeconds: Math.floor(this.nowMs() / 1000),
      nonces: this.nonces,
      requireNonce: this.settings.requireNonce,
    });
    await this.#claim(verified);
    return verified.jkt;
  }

  /**
   * RFC 9449 §7.1 at Tessera's own APIs: the proof for a request carrying a
   * DPoP-bound access token, made by the key the token is bound to.
   * Nonces are not asked for here (§9 leaves them to each resource).
   */
  async forResource(proof: string | undefined, request: { method: string; url: string; accessToken: string; jkt: string }): Promise<void> {
    if (proof === undefined) throw new InvalidDpopProofError('a DPoP-bound token needs a DPoP proof');
    const verified = await verifyDpopProof(proof, {
      method: request.method,
      url: request.url,
      accessToken: request.accessToken,
      iatWindowSeconds: this.settings.iatWindowSeconds,
      nowSeconds: Math.floor(this.nowMs() / 1000),
    });
    if (verified.jkt !== request.jkt) throw new InvalidDpopProofError('the DPoP proof is not made with the key the token is bound to');
    await this.#claim(verified);
  }

  async #claim(verified: VerifiedProof): Promise<void> {
    if (!(await this.store.replay.claim(verified.replayKey, verified.replayUntilMs))) {
      throw new InvalidDpopProofError('this DPoP proof was used already; make a new one for each request');
    }
  }
}
