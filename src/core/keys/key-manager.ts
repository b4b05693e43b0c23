/**
 * Signing keys of a running server: loads the keys (a keys dir or the
 * store), serves the signing key, verification keys and JWKS from an
 * in-memory snapshot (no I/O or crypto per call), rotates under the
 * storage's lock, carries out the rotation schedule's steps, and
 * hot-reloads changes made by other instances or the offline CLI (polling,
 * and at once on an announcement where the storage has them).
 */
import { ConfigError } from '../errors.js';
import { loadKeys, normalisePassphrase, type LoadedKey, type MaterialCache } from './key-material.js';
import { planSchedule, type RotationSchedule, type SchedulePlan } from './key-schedule.js';
import { buildSnapshot, keyInfo, pickSigningKey, type KeySnapshot } from './key-snapshot.js';
import { DirKeyStorage, type KeyStorage } from './key-storage.js';
import { ensureActiveKey, rotateLocked, type RotationOptions } from './rotation.js';
import { runScheduleLocked, type ScheduleTurn } from './scheduled-rotation.js';
import type { JwksDocument, KeyInfo, KeyRing, RotationResult, SigningAlg, SigningKey, VerificationKey } from './types.js';

export interface KeyManagerOptions {
  /** A keys dir (TESSERA_KEYS_DIR); or give `storage`. */
  dir?: string;
  /** Where keys live when not in `dir` (the store). */
  storage?: KeyStorage;
  /** TESSERA_KEYS_PASSPHRASE, with `dir`: new private keys are encrypted with it. */
  passphrase?: string | null;
  /** The rotation schedule (TESSERA_KEY_ROTATION_INTERVAL); none by default. */
  schedule?: RotationSchedule | null;
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
  private unwatch: (() => Promise<void>) | undefined;
  private closed = false;
  private readonly passphrase: string | undefined;
  private readonly now: () => number;
  readonly storage: KeyStorage;

  private constructor(private readonly options: KeyManagerOptions) {
    this.passphrase = normalisePassphrase(options.passphrase);
    this.now = options.now ?? Date.now;
    if (options.storage) this.storage = options.storage;
    else if (options.dir !== undefined) this.storage = new DirKeyStorage(options.dir, this.passphrase);
    else throw new TypeError('KeyManager needs a keys dir or a key storage');
  }

  static async open(options: KeyManagerOptions): Promise<KeyManager> {
    if (!Number.isFinite(options.publishRetiredForMs) || options.publishRetiredForMs < 0) {
      throw new RangeError('publishRetiredForMs must be a non-negative number of milliseconds');
    }
    const manager = new KeyManager(options);
    await manager.storage.prepare();
    // Load (and so check the passphrase against) existing keys before writing any.
    if (!(await manager.load({ allowNoActive: true }))) {
      await ensureActiveKey(manager.rotationOptions());
      await manager.load();
    }
    manager.unwatch = await manager.storage.watch(() => {
      if (manager.closed) return;
      manager.reload().catch((err: unknown) => {
        if (!manager.closed) (options.onReloadError ?? defaultReloadError)(err);
      });
    });
    manager.startPolling(options.pollIntervalMs ?? 2000);
    return manager;
  }

  /** The rotation schedule in force, or null. */
  get schedule(): RotationSchedule | null {
    return this.options.schedule ?? null;
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

  /** Every key, newest first, with its scheduled steps. */
  list(): KeyInfo[] {
    const now = this.now();
    const plan = this.plan(now);
    return [...this.keys]
      .sort((a, b) => b.createdAt - a.createdAt || a.file.kid.localeCompare(b.file.kid))
      .map((k) => keyInfo(k, now, this.options.publishRetiredForMs, plan?.times.get(k.file.kid)));
  }

  /** The schedule's plan for the keys as last loaded; null without a schedule. */
  plan(now = this.now()): SchedulePlan | null {
    const schedule = this.options.schedule;
    return schedule ? planSchedule(this.keys.map((k) => k.file), schedule, now) : null;
  }

  /** When the signing key was activated (epoch ms). */
  signingKeyActivatedAt(): number | null {
    return pickSigningKey(this.keys)?.activatedAt ?? null;
  }

  /**
   * Carries out the schedule's due steps (under the storage's lock, from a
   * fresh read), reloads (still under the lock) and announces when something
   * changed.
   */
  async runSchedule(): Promise<ScheduleTurn> {
    const schedule = this.options.schedule;
    if (!schedule) return { events: [], nextStepAt: Infinity };
    const turn = await this.storage.withLock(async () => {
      const done = await runScheduleLocked(this.rotationOptions(), schedule);
      if (done.events.length) await this.reload();
      return done;
    });
    if (turn.events.length) await this.storage.announce();
    return turn;
  }

  /**
   * Retires the active key, activates the next one, publishes a new next key.
   * The reload happens under the lock too: a rotation queued behind this one
   * rewrites the key files as soon as it gets the lock, and a read straddling
   * its writes (the next key read before it became active, the active one
   * after it was retired) sees no active key at all.
   */
  async rotate(): Promise<RotationResult> {
    const options = { ...this.rotationOptions(), pruneRetiredAfterMs: this.options.publishRetiredForMs + PRUNE_GRACE_MS };
    const result = await this.storage.withLock(async () => {
      const rotated = await rotateLocked(options);
      await this.reload();
      return rotated;
    });
    await this.storage.announce();
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

  /** Stops polling and listening. The keys stay usable. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    const unwatch = this.unwatch;
    this.unwatch = undefined;
    await unwatch?.();
  }

  private rotationOptions(): RotationOptions {
    return { storage: this.storage, alg: this.options.alg, now: this.now };
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
    const signature = await this.storage.signature();
    const keys = await loadKeys(await this.storage.read(), this.storage.pemPassphrase, this.cache);
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
      signature = await this.storage.signature();
      if (signature === this.signature || signature === this.failedSignature) return;
      await this.reload();
    } catch (err) {
      if (signature !== undefined) this.failedSignature = signature;
      if (!this.closed) (this.options.onReloadError ?? defaultReloadError)(err);
    } finally {
      this.polling = false;
    }
  }
}

function defaultReloadError(err: unknown): void {
  const detail = err instanceof ConfigError ? err.problems.join('; ') : String(err);
  process.emitWarning(`signing keys not reloaded, the previous keys stay in use: ${detail}`);
}
