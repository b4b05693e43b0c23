/**
 * Signing keys of a running server: loads the keys dir, serves the signing
 * key, verification keys and JWKS from an in-memory snapshot (no disk or
 * crypto per call), rotates under the dir's lock, and hot-reloads changes
 * made by other instances or the offline CLI by polling the dir.
 */
import { ConfigError } from '../errors.js';
import { dirSignature, ensureKeysDir } from './key-dir.js';
import { loadKeyDir, normalisePassphrase, type LoadedKey, type MaterialCache } from './key-material.js';
import { buildSnapshot, keyInfo, pickSigningKey, type KeySnapshot } from './key-snapshot.js';
import { ensureActiveKey, rotate, type RotationOptions } from './rotation.js';
import type { JwksDocument, KeyInfo, KeyRing, RotationResult, SigningAlg, SigningKey, VerificationKey } from './types.js';

export interface KeyManagerOptions {
  dir: string;
  /** TESSERA_KEYS_PASSPHRASE; new private keys are encrypted with it. */
  passphrase?: string | null;
  /** For newly generated keys. */
  alg: SigningAlg;
  /** Access-token TTL plus clock-skew margin: how long a retired key stays in the JWKS. */
  publishRetiredForMs: number;
  /** How often to look for changes in the dir; default 2000, 0 = no polling. */
  pollIntervalMs?: number;
  /** Injectable clock (epoch ms) for tests. */
  now?: () => number;
  /** Called when a polled reload fails; the previous keys stay in use. */
  onReloadError?: (err: unknown) => void;
}

/** Retired key files are kept a day past their publish window, for forensics, then pruned at rotation. */
const PRUNE_GRACE_MS = 24 * 60 * 60 * 1000;

export class KeyManager implements KeyRing {
  private keys: readonly LoadedKey[] = [];
  private snapshot!: KeySnapshot;
  private signature = '';
  /** A signature whose reload failed: not retried (nor reported again) until the dir changes. */
  private failedSignature: string | null = null;
  private readonly cache: MaterialCache = new Map();
  /** Reloads run one at a time, so an older read can never overwrite a newer one. */
  private reloadChain: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private polling = false;
  private readonly passphrase: string | undefined;
  private readonly now: () => number;

  private constructor(private readonly options: KeyManagerOptions) {
    this.passphrase = normalisePassphrase(options.passphrase);
    this.now = options.now ?? Date.now;
  }

  static async open(options: KeyManagerOptions): Promise<KeyManager> {
    if (!Number.isFinite(options.publishRetiredForMs) || options.publishRetiredForMs < 0) {
      throw new RangeError('publishRetiredForMs must be a non-negative number of milliseconds');
    }
    const manager = new KeyManager(options);
    await ensureKeysDir(options.dir);
    // Load (and so check the passphrase against) existing keys before writing any.
    if (!(await manager.load({ allowNoActive: true }))) {
      await ensureActiveKey(manager.rotationOptions());
      await manager.load();
    }
    manager.startPolling(options.pollIntervalMs ?? 2000);
    return manager;
  }

  /** The key that signs new tokens. */
  signingKey(): SigningKey {
    // The signer only changes on reload; window expiry affects retired keys only.
    return this.snapshot.signing;
  }

  /** A key currently in the JWKS, by kid. */
  verificationKey(kid: string): VerificationKey | undefined {
    return this.current().verification.get(kid);
  }

  /** The JWKS body and its strong ETag. */
  jwks(): JwksDocument {
    return this.current().jwks;
  }

  /** Every key in the dir, newest first. */
  list(): KeyInfo[] {
    const now = this.now();
    return [...this.keys]
      .sort((a, b) => b.createdAt - a.createdAt || a.file.kid.localeCompare(b.file.kid))
      .map((k) => keyInfo(k, now, this.options.publishRetiredForMs));
  }

  /** Retires the active key, activates the next one, publishes a new next key. */
  async rotate(): Promise<RotationResult> {
    const result = await rotate({
      ...this.rotationOptions(),
      pruneRetiredAfterMs: this.options.publishRetiredForMs + PRUNE_GRACE_MS,
    });
    await this.reload();
    return result;
  }

  /** Re-reads the dir now. On error the previous keys stay in use and the error is thrown. */
  reload(): Promise<void> {
    const run = this.reloadChain.then(async () => {
      await this.load();
    });
    this.reloadChain = run.catch(() => undefined);
    return run;
  }

  /** Stops polling. The keys stay usable. */
  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private rotationOptions(): RotationOptions {
    return { dir: this.options.dir, alg: this.options.alg, passphrase: this.passphrase, now: this.now };
  }

  /** Rebuilds the snapshot lazily once a retired key's publish window has passed, even if the dir did not change. */
  private current(): KeySnapshot {
    const now = this.now();
    if (now >= this.snapshot.staleAt) this.snapshot = buildSnapshot(this.keys, now, this.options.publishRetiredForMs);
    return this.snapshot;
  }

  /**
   * Reads the dir and swaps in the new keys only if everything in it is
   * usable and one key is active; otherwise throws and the previous keys stay.
   * False (nothing swapped) for a dir without an active key when allowed.
   */
  private async load({ allowNoActive = false } = {}): Promise<boolean> {
    // Taken before reading: a change during the read then shows up at the next poll.
    const signature = await dirSignature(this.options.dir);
    const keys = await loadKeyDir(this.options.dir, this.passphrase, this.cache);
    if (allowNoActive && !pickSigningKey(keys)) return false;
    this.snapshot = buildSnapshot(keys, this.now(), this.options.publishRetiredForMs);
    this.keys = keys;
    this.signature = signature;
    this.failedSignature = null;
    return true;
  }

  private startPolling(intervalMs: number): void {
    if (intervalMs <= 0) return;
    this.timer = setInterval(() => void this.poll(), intervalMs);
    // Polling alone must never keep the process (or a test run) alive.
    this.timer.unref();
  }

  private async poll(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    let signature: string | undefined;
    try {
      signature = await dirSignature(this.options.dir);
      if (signature === this.signature || signature === this.failedSignature) return;
      await this.reload();
    } catch (err) {
      if (signature !== undefined) this.failedSignature = signature;
      (this.options.onReloadError ?? defaultReloadError)(err);
    } finally {
      this.polling = false;
    }
  }
}

function defaultReloadError(err: unknown): void {
  const detail = err instanceof ConfigError ? err.problems.join('; ') : String(err);
  process.emitWarning(`signing keys not reloaded, the previous keys stay in use: ${detail}`);
}
