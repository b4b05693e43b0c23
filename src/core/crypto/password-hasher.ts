/**
 * Slow hashes of secrets a person chose: passwords, and client secrets given
 * at create (generated secrets carry 256 bits and get SHA-256, see
 * secret-hash.ts). scrypt (RFC 7914) from node:crypto, by default at OWASP's
 * current guidance for it: N=2^17, r=8, p=1, which takes 128 MiB and about
 * half a second of one core. `TESSERA_PASSWORD_HASH_COST` sets log2(N).
 *
 * The stored form names its parameters, `scrypt:<N>:<r>:<p>:<salt>:<key>`,
 * so hashes made at an older cost still verify; `verify` says when one
 * should be replaced (`rehash`), which callers do after a successful check.
 *
 * Timing: every failed check costs one scrypt at the current cost, whatever
 * was stored (nothing, a generated secret's SHA-256, an older, cheaper
 * scrypt), so the time of a failure does not tell whether the name was known
 * or how its secret was stored.
 *
 * Memory: Node refuses scrypt above `maxmem` (32 MiB by default), so it is
 * set per hash from its parameters; a queue bounds how many run at once
 * (hash-queue.ts), so parallel logins cannot exhaust memory or the thread
 * pool.
 */
import { randomBytes, scrypt as scryptCallback, timingSafeEqual } from 'node:crypto';
import { HashQueue } from './hash-queue.js';
import { matchesGeneratedSecret } from './secret-hash.js';

/** log2(N) of OWASP's scrypt guidance (Password Storage Cheat Sheet: N=2^17, r=8, p=1). */
export const DEFAULT_PASSWORD_HASH_COST = 17;
export const MIN_PASSWORD_HASH_COST = 10;
/** 2^20 with r=8 is 1 GiB per hash: nothing above is computed, stored or configured. */
export const MAX_PASSWORD_HASH_COST = 20;
/** Hashes that may wait for a slot, per slot: beyond this a request is refused (503) at once rather than kept waiting longer than clients do (32 × 0.44 s on this project's 2-core test machine at the default cost). */
const WAITING_PER_SLOT = 32;
const R = 8;
const P = 1;
const KEY_BYTES = 32;
const SALT_BYTES = 16;

interface ScryptParams { N: number; r: number; p: number }

export interface PasswordHasherOptions {
  /** log2(N). */
  cost: number;
  /** Hashes computed at once; more wait (up to 32 per slot), beyond that BusyError. */
  concurrency: number;
}

/** The result of a check: whether it matched, and whether the stored hash should be replaced by one at the current cost. */
export interface Verdict { ok: boolean; rehash: boolean }

/** What scrypt needs (OpenSSL's check: 128·r·(N + p + 2) bytes), as maxmem. */
function maxmemFor(params: ScryptParams): number {
  return 128 * params.r * (params.N + params.p + 2);
}

function scrypt(secret: string, salt: Buffer, params: ScryptParams, keyBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scryptCallback(secret, salt, keyBytes, { ...params, maxmem: maxmemFor(params) }, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

const B64U = /^[A-Za-z0-9_-]+$/;

/** The parameters of a stored scrypt hash, or null when it is not one this server would compute. */
function parseScrypt(stored: string): (ScryptParams & { salt: Buffer; key: Buffer }) | null {
  const parts = stored.split(':');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return null;
  const [, n, r, p, salt, key] = parts as [string, string, string, string, string, string];
  const params = { N: Number(n), r: Number(r), p: Number(p) };
  const powerOfTwo = Number.isInteger(params.N) && params.N >= 2 && (params.N & (params.N - 1)) === 0;
  if (!powerOfTwo || params.N > 2 ** MAX_PASSWORD_HASH_COST) return null;
  if (!Number.isInteger(params.r) || params.r < 1 || params.r > 32 || !Number.isInteger(params.p) || params.p < 1 || params.p > 16) return null;
  if (!B64U.test(salt) || !B64U.test(key)) return null;
  const keyBuffer = Buffer.from(key, 'base64url');
  if (keyBuffer.length < 16 || keyBuffer.length > 64) return null;
  return { ...params, salt: Buffer.from(salt, 'base64url'), key: keyBuffer };
}

export class PasswordHasher {
  readonly #params: ScryptParams;
  readonly #queue: HashQueue;
  /** A salt for hashes computed only for their cost. */
  readonly #wasteSalt = randomBytes(SALT_BYTES);
  /** scrypt computations finished: all, and those at the current cost (what tests and the benchmark observe). */
  readonly counts = { hashes: 0, atCurrentCost: 0 };

  constructor(options: PasswordHasherOptions) {
    if (!Number.isInteger(options.cost) || options.cost < MIN_PASSWORD_HASH_COST || options.cost > MAX_PASSWORD_HASH_COST) {
      throw new RangeError(`cost must be a whole number from ${MIN_PASSWORD_HASH_COST} to ${MAX_PASSWORD_HASH_COST}`);
    }
    this.#params = { N: 2 ** options.cost, r: R, p: P };
    this.#queue = new HashQueue(options.concurrency, options.concurrency * WAITING_PER_SLOT);
  }

  /** The current parameters, as the stored form names them (`scrypt:131072:8:1`). */
  get parameters(): string {
    return `scrypt:${this.#params.N}:${this.#params.r}:${this.#params.p}`;
  }

  /** Hashes running and waiting now. */
  get queueDepth(): { running: number; waiting: number } {
    return this.#queue.depth;
  }

  /** A new hash at the current cost, with a random salt. */
  async hash(secret: string): Promise<string> {
    const salt = randomBytes(SALT_BYTES);
    const key = await this.#compute(secret, salt, this.#params, KEY_BYTES);
    return `${this.parameters}:${salt.toString('base64url')}:${key.toString('base64url')}`;
  }

  /** Whether `stored` is a slow hash (scrypt); the other kind is a generated secret's SHA-256. */
  isSlow(stored: string | null): boolean {
    return stored !== null && stored.startsWith('scrypt:');
  }

  /**
   * Checks `secret` against `stored` (any kind, or null when there is no
   * record), in constant time. A failure always costs one scrypt at the
   * current cost; a success against an older cost asks for a rehash.
   */
  async verify(secret: string, stored: string | null): Promise<Verdict> {
    if (stored !== null && stored.startsWith('sha256:')) {
      if (matchesGeneratedSecret(secret, stored)) return { ok: true, rehash: false };
      await this.spend(secret);
      return { ok: false, rehash: false };
    }
    const parsed = stored === null ? null : parseScrypt(stored);
    if (!parsed) {
      await this.spend(secret);
      return { ok: false, rehash: false };
    }
    const current = parsed.N === this.#params.N && parsed.r === this.#params.r && parsed.p === this.#params.p && parsed.key.length === KEY_BYTES;
    const actual = await this.#compute(secret, parsed.salt, parsed, parsed.key.length);
    const ok = timingSafeEqual(actual, parsed.key);
    if (ok) return { ok: true, rehash: !current };
    if (!current) await this.spend(secret);
    return { ok: false, rehash: false };
  }

  /** One scrypt at the current cost, for its cost alone: what a failure costs when no slow hash was checked. */
  async spend(secret: string): Promise<void> {
    await this.#compute(secret, this.#wasteSalt, this.#params, KEY_BYTES);
  }

  #compute(secret: string, salt: Buffer, params: ScryptParams, keyBytes: number): Promise<Buffer> {
    return this.#queue.run(async () => {
      const key = await scrypt(secret, salt, params, keyBytes);
      this.counts.hashes++;
      if (params.N === this.#params.N && params.r === this.#params.r && params.p === this.#params.p) this.counts.atCurrentCost++;
      return key;
    });
  }
}
