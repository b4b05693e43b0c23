/**
 * Signing-key records in memory, behaving like src/store/redis/signing-keys.ts
 * within one process (the in-memory store is not shared, so configuration
 * refuses TESSERA_KEYS_STORAGE=store without Redis; this serves tests and
 * keeps the Store interface whole).
 */
import { EventEmitter } from 'node:events';
import type { SigningKeyRepository } from '../signing-key-records.js';
import { ExpiringMap } from './expiring-map.js';

export class MemorySigningKeys implements SigningKeyRepository {
  readonly #records = new Map<string, string>();
  readonly #lock: ExpiringMap<string>;
  readonly #events = new EventEmitter();
  #version = 0;
  #salt: string | null = null;

  constructor(private readonly assertOpen: () => void, now: () => number) {
    this.#lock = new ExpiringMap(now);
  }

  async load(): Promise<{ version: string; records: Map<string, string> }> {
    this.assertOpen();
    return { version: String(this.#version), records: new Map(this.#records) };
  }

  async version(): Promise<string> {
    this.assertOpen();
    return String(this.#version);
  }

  async salt(candidate: string): Promise<string> {
    this.assertOpen();
    this.#salt ??= candidate;
    return this.#salt;
  }

  async acquireLock(holder: string, untilMs: number): Promise<boolean> {
    this.assertOpen();
    const current = this.#lock.get('lock');
    if (current !== undefined && current !== holder) return false;
    this.#lock.set('lock', holder, untilMs);
    return true;
  }

  async releaseLock(holder: string): Promise<void> {
    this.assertOpen();
    if (this.#lock.get('lock') === holder) this.#lock.delete('lock');
  }

  async put(kid: string, record: string, holder: string): Promise<boolean> {
    this.assertOpen();
    if (this.#lock.get('lock') !== holder) return false;
    this.#records.set(kid, record);
    this.#version++;
    return true;
  }

  async remove(kid: string, holder: string): Promise<boolean> {
    this.assertOpen();
    if (this.#lock.get('lock') !== holder) return false;
    if (this.#records.delete(kid)) this.#version++;
    return true;
  }

  async announce(): Promise<void> {
    this.assertOpen();
    this.#events.emit('changed');
  }

  async watch(onChange: () => void): Promise<() => Promise<void>> {
    this.#events.on('changed', onChange);
    return async () => { this.#events.off('changed', onChange); };
  }
}
