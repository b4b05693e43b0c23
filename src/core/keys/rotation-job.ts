/**
 * The rotation schedule as a background job: every instance runs it, one at
 * a time under the job lease (and the storage's rotation lock inside), and
 * each turn carries out the steps that are due, records them in the audit
 * log with the scheduler as actor (webhooks and metrics follow from there),
 * and waits until the next step.
 */
import type { AuditSink } from '../audit.js';
import type { BackgroundJob } from '../jobs/job-runner.js';
import type { KeyManager } from './key-manager.js';
import type { ScheduleEvent } from './scheduled-rotation.js';

export const SCHEDULER_ACTOR = { type: 'system', id: 'scheduler' } as const;

/** Looked at again at least this often: a manual rotation or a key added offline moves the next step. */
const MAX_WAIT_MS = 60_000;
/** Not sooner than this, so a clock step or a failing write never makes a busy loop. */
const MIN_WAIT_MS = 100;

export class KeyRotationJob implements BackgroundJob {
  readonly name = 'key-rotation';
  readonly leaseMs = 60_000;

  constructor(
    private readonly keys: KeyManager,
    private readonly audit: AuditSink,
    private readonly now: () => number = Date.now,
  ) {}

  async run(): Promise<number> {
    const turn = await this.keys.runSchedule();
    for (const e of turn.events) this.audit.record(auditEventOf(e));
    return Math.min(MAX_WAIT_MS, Math.max(MIN_WAIT_MS, turn.nextStepAt - this.now()));
  }
}

function auditEventOf(e: ScheduleEvent) {
  if (e.type === 'key.rotated') {
    return {
      type: e.type, actor: SCHEDULER_ACTOR, subject: e.active,
      detail: { active: e.active, next: e.next, retired: e.retired, trigger: 'schedule' },
    };
  }
  return { type: e.type, actor: SCHEDULER_ACTOR, subject: e.kid, detail: { kid: e.kid, trigger: 'schedule' } };
}
