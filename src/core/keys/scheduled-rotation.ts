/**
 * Carries out the rotation schedule's due steps, under the storage's
 * rotation lock and from a fresh read: an instance that took the job lease
 * just after another one finished sees the steps done and does nothing, so
 * there is exactly one rotation per interval however many instances run.
 */
import { generateKeyFile } from './key-material.js';
import { planSchedule, type RotationSchedule } from './key-schedule.js';
import { readFiles, rotateLocked, type RotationOptions } from './rotation.js';

/** What a scheduled turn did, as audit events are made of. */
export type ScheduleEvent =
  | { type: 'key.published'; kid: string }
  | { type: 'key.activated'; kid: string }
  | { type: 'key.rotated'; active: string; next: string; retired: string | null }
  | { type: 'key.removed'; kid: string };

export interface ScheduleTurn {
  events: ScheduleEvent[];
  /** When the next step falls (epoch ms); Infinity if none is planned. */
  nextStepAt: number;
}

export async function runScheduleLocked(opts: RotationOptions, schedule: RotationSchedule): Promise<ScheduleTurn> {
  const { storage } = opts;
  const files = await readFiles(storage);
  const plan = planSchedule(files, schedule, opts.now());
  const events: ScheduleEvent[] = [];
  for (const step of plan.due) {
    switch (step.kind) {
      case 'publish': {
        const file = await generateKeyFile(opts.alg, new Date(opts.now()).toISOString(), storage.pemPassphrase);
        await storage.write(file);
        events.push({ type: 'key.published', kid: file.kid });
        break;
      }
      case 'activate': {
        const result = await rotateLocked({ ...opts, promoteKid: step.kid });
        events.push({ type: 'key.activated', kid: result.active });
        events.push({ type: 'key.rotated', ...result });
        events.push({ type: 'key.published', kid: result.next });
        break;
      }
      case 'remove':
        await storage.remove(step.kid);
        events.push({ type: 'key.removed', kid: step.kid });
        break;
    }
  }
  if (events.length === 0) return { events, nextStepAt: plan.nextStepAt };
  // Planned again from what is stored now: the steps just taken set the next times.
  const after = planSchedule(await readFiles(storage), schedule, opts.now());
  return { events, nextStepAt: after.due.length ? opts.now() : after.nextStepAt };
}
