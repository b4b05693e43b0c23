/** Background jobs' leases and marks in memory, behaving like src/store/redis/job-state.ts. */
import type { JobStateRepository } from '../job-records.js';
import { ExpiringMap } from './expiring-map.js';

export class MemoryJobState implements JobStateRepository {
  readonly leases: ExpiringMap<string>;
  readonly marks: ExpiringMap<string>;

  constructor(private readonly assertOpen: () => void, now: () => number) {
    this.leases = new ExpiringMap(now);
    this.marks = new ExpiringMap(now);
  }

  async acquireLease(name: string, holder: string, untilMs: number): Promise<boolean> {
    this.assertOpen();
    const current = this.leases.get(name);
    if (current !== undefined && current !== holder) return false;
    this.leases.set(name, holder, untilMs);
    return true;
  }

  async releaseLease(name: string, holder: string): Promise<void> {
    this.assertOpen();
    if (this.leases.get(name) === holder) this.leases.delete(name);
  }

  async markOnce(key: string, value: string, expiresAtMs: number): Promise<string | null> {
    this.assertOpen();
    const current = this.marks.get(key);
    if (current !== undefined) return current;
    this.marks.set(key, value, expiresAtMs);
    return null;
  }

  async getMark(key: string): Promise<string | null> {
    this.assertOpen();
    return this.marks.get(key) ?? null;
  }

  async setMark(key: string, value: string, expiresAtMs: number): Promise<void> {
    this.assertOpen();
    this.marks.set(key, value, expiresAtMs);
  }

  sweep(): number {
    return this.leases.sweep() + this.marks.sweep();
  }
}
