/**
 * The resource server's side of DPoP (RFC 9449 §7): a DPoP-bound token is
 * accepted only with a proof, made for this request (`htm`, `htu`) and this
 * token (`ath`) by the key the token is bound to (`cnf.jkt`), recent (`iat`),
 * never seen before (`jti`, remembered in Redis when given, so every
 * instance refuses a replay), and with this resource's nonce when it uses
 * them (§9). The checks are the server's own (src/core/dpop/dpop-proof.ts).
 */
import { InvalidDpopProofError, UseDpopNonceError } from '../core/errors.js';
import { DpopNonces } from '../core/dpop/dpop-nonces.js';
import { singleProof, verifyDpopProof } from '../core/dpop/dpop-proof.js';
import { claimOnce, replayKey } from '../store/redis/replay.js';
import { MemoryReplayCache } from '../store/memory/replay.js';
import { invalidDpopProof, unavailable, useDpopNonce } from './bearer-errors.js';
import { DEFAULT_PREFIX, type DpopOptions, type TesseraRedis } from './options.js';

/** What the proof is checked against: the request as the client addressed it. */
export interface DpopRequest {
  /** The DPoP header(s) as received. */
  proof: string | string[] | undefined;
  method: string;
  /** Scheme, host and path, no query. */
  url: string;
}

interface ReplayClaims {
  claim(key: string, untilMs: number): Promise<boolean>;
  close(): void;
}

function redisReplay(redis: TesseraRedis, prefix: string, onError: (err: unknown) => void, now: () => number): ReplayClaims {
  return {
    async claim(key, untilMs) {
      try {
        return await claimOnce(redis, replayKey(prefix, key), untilMs, now());
      } catch (err) {
        // Fail closed: a proof we cannot record is one that could be replayed.
        onError(err);
        throw unavailable('the DPoP replay cache is unavailable; retry shortly');
      }
    },
    close() {},
  };
}

function memoryReplay(now: () => number): ReplayClaims {
  const cache = new MemoryReplayCache(() => undefined, now);
  // Entries leave once their proof could no longer be accepted anyway.
  const sweeper = setInterval(() => cache.map.sweep(), 30_000);
  sweeper.unref();
  return { claim: (key, untilMs) => cache.claim(key, untilMs), close: () => clearInterval(sweeper) };
}

export class DpopCheck {
  readonly nonces: DpopNonces | null;
  readonly #replay: ReplayClaims;
  readonly #iatWindow: number;
  readonly #requireNonce: boolean;

  constructor(o: DpopOptions, onError: (err: unknown) => void, private readonly nowMs: () => number = Date.now) {
    this.#iatWindow = o.iatWindowSeconds ?? 60;
    this.#replay = o.replay ? redisReplay(o.replay.redis, o.replay.prefix ?? DEFAULT_PREFIX, onError, nowMs) : memoryReplay(nowMs);
    const secret = o.nonceSecret;
    this.nonces = secret === undefined ? null : new DpopNonces(async () => Buffer.from(secret, 'utf8'), nowMs);
    this.#requireNonce = o.requireNonce ?? true;
  }

  /** Throws a BearerError (401 invalid_dpop_proof / use_dpop_nonce, 503) unless the request proves `jkt`. */
  async verify(request: DpopRequest, token: string, jkt: string): Promise<void> {
    try {
      const value = singleProof(request.proof);
      if (value === undefined) throw new InvalidDpopProofError('a DPoP-bound token needs a DPoP proof');
      const verified = await verifyDpopProof(value, {
        method: request.method,
        url: request.url,
        accessToken: token,
        iatWindowSeconds: this.#iatWindow,
        nowSeconds: Math.floor(this.nowMs() / 1000),
        nonces: this.nonces,
        requireNonce: this.#requireNonce,
      });
      if (verified.jkt !== jkt) throw new InvalidDpopProofError('the DPoP proof is not made with the key the token is bound to');
      if (!(await this.#replay.claim(verified.replayKey, verified.replayUntilMs))) {
        throw new InvalidDpopProofError('this DPoP proof was used already; make a new one for each request');
      }
    } catch (err) {
      if (err instanceof UseDpopNonceError) throw useDpopNonce(err.message, err.nonce);
      if (err instanceof InvalidDpopProofError) throw invalidDpopProof(err.message);
      throw err;
    }
  }

  close(): void {
    this.#replay.close();
  }
}
