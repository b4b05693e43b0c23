/**
 * The rotation schedule (TESSERA_KEY_ROTATION_INTERVAL) as a pure function of
 * the stored keys and the clock: when each key takes its next step, and
 * which steps are due now. Every instance computes the same plan from the
 * same keys; one of them (under the job lease and the storage's rotation
 * lock, from a fresh read) carries the due steps out.
 *
 * The life of a key under a schedule:
 * - next: published in the JWKS, not signing. It activates at the later of
 *   (the active key's activation + the interval) and (its own publication
 *   + the publish lead: JWKS max-age + margin), so that every verifier
 *   holding a cached JWKS already has it when the first token it signs
 *   arrives.
 * - active: signs; retires when the next key activates.
 * - retired: still published while a token it signed can be accepted
 *   (access-token TTL + clock skew + the reload delay of other instances),
 *   then deleted: its private key is gone for good.
 */
import type { KeyFile } from './key-file.js';
import { byActivatedDesc, byCreated, time } from './rotation.js';

export interface RotationSchedule {
  intervalMs: number;
  /** How long a next key is published before it may sign: JWKS max-age + margin. */
  publishLeadMs: number;
  /** How long after retirement a key is deleted: no token it signed can be accepted any more. */
  removeAfterMs: number;
}

/** When each key takes its next step (epoch ms); null when no step is planned. */
export interface KeyTimes {
  activatesAt: number | null;
  retiresAt: number | null;
  removedAt: number | null;
}

export type ScheduledStep =
  | { kind: 'publish' }
  | { kind: 'activate'; kid: string }
  | { kind: 'remove'; kid: string };

export interface SchedulePlan {
  times: ReadonlyMap<string, KeyTimes>;
  /** Steps due now, in the order to carry them out. */
  due: ScheduledStep[];
  /** When the next step falls after the due ones (epoch ms); Infinity if none is planned. */
  nextStepAt: number;
  /** When the active key is next replaced (epoch ms); null without an active key. */
  nextRotationAt: number | null;
}

const NONE: KeyTimes = Object.freeze({ activatesAt: null, retiresAt: null, removedAt: null });

export function planSchedule(files: readonly KeyFile[], schedule: RotationSchedule, now: number): SchedulePlan {
  const times = new Map<string, KeyTimes>();
  for (const f of files) times.set(f.kid, NONE);
  const due: ScheduledStep[] = [];
  let nextStepAt = Infinity;

  const active = files.filter((f) => f.state === 'active').sort(byActivatedDesc);
  const next = files.filter((f) => f.state === 'next').sort(byCreated);
  const signer = active[0];
  let nextRotationAt: number | null = null;
  if (signer) {
    const candidate = next[0];
    // Without a next key, one is published now and may sign a publish lead later.
    const publishedAt = candidate ? time(candidate.created_at) : now;
    nextRotationAt = Math.max(time(signer.activated_at) + schedule.intervalMs, publishedAt + schedule.publishLeadMs);
    for (const f of active) times.set(f.kid, { ...NONE, retiresAt: nextRotationAt });
    if (candidate) {
      times.set(candidate.kid, { ...NONE, activatesAt: nextRotationAt });
      if (nextRotationAt <= now) due.push({ kind: 'activate', kid: candidate.kid });
      else nextStepAt = Math.min(nextStepAt, nextRotationAt);
    } else {
      due.push({ kind: 'publish' });
    }
  }

  for (const f of files) {
    if (f.state !== 'retired' || f.retired_at === null) continue;
    const removedAt = time(f.retired_at) + schedule.removeAfterMs;
    times.set(f.kid, { ...NONE, removedAt });
    if (removedAt <= now) due.push({ kind: 'remove', kid: f.kid });
    else nextStepAt = Math.min(nextStepAt, removedAt);
  }
  return { times, due, nextStepAt, nextRotationAt };
}
