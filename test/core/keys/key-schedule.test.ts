/**
 * The rotation schedule's plan (pure: keys + clock -> when each key takes
 * its next step, which steps are due), its turns on a real keys dir under
 * the lock, and the configuration that turns it on.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../../src/config/config.js';
import { ConfigError } from '../../../src/core/errors.js';
import type { KeyFile } from '../../../src/core/keys/key-file.js';
import { planSchedule, type RotationSchedule } from '../../../src/core/keys/key-schedule.js';
import { KeyManager } from '../../../src/core/keys/key-manager.js';
import { KeyRotationJob } from '../../../src/core/keys/rotation-job.js';
import type { AuditEvent } from '../../../src/core/audit.js';
import { toWebhookEvent } from '../../../src/core/webhooks/audit-events.js';

const S = 1000;
const schedule: RotationSchedule = { intervalMs: 100 * S, publishLeadMs: 30 * S, removeAfterMs: 20 * S };
const T0 = Date.parse('2026-01-01T00:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();

function key(kid: string, state: KeyFile['state'], createdAt: number, activatedAt: number | null = null, retiredAt: number | null = null): KeyFile {
  return {
    version: 1, kid: kid.padEnd(43, 'x'), alg: 'EdDSA', state, created_at: iso(createdAt),
    activated_at: activatedAt === null ? null : iso(activatedAt), retired_at: retiredAt === null ? null : iso(retiredAt),
    encrypted: false, private_key: '-----BEGIN PRIVATE KEY-----',
  };
}
const kid = (k: string) => k.padEnd(43, 'x');

describe('the rotation plan', () => {
  const active = key('A', 'active', T0, T0);
  const next = key('N', 'next', T0);

  test('the next key activates one interval after the active one did, and the active one retires then', () => {
    const plan = planSchedule([active, next], schedule, T0 + 10 * S);
    expect(plan.due).toEqual([]);
    expect(plan.nextRotationAt).toBe(T0 + 100 * S);
    expect(plan.nextStepAt).toBe(T0 + 100 * S);
    expect(plan.times.get(kid('N'))).toEqual({ activatesAt: T0 + 100 * S, retiresAt: null, removedAt: null });
    expect(plan.times.get(kid('A'))).toEqual({ activatesAt: null, retiresAt: T0 + 100 * S, removedAt: null });
  });

  test('it is due at that moment, not a millisecond before', () => {
    expect(planSchedule([active, next], schedule, T0 + 100 * S - 1).due).toEqual([]);
    expect(planSchedule([active, next], schedule, T0 + 100 * S).due).toEqual([{ kind: 'activate', kid: kid('N') }]);
  });

  test('a next key published late waits a full publish lead (JWKS max-age + margin) before it signs', () => {
    const late = key('L', 'next', T0 + 90 * S);
    const plan = planSchedule([active, late], schedule, T0 + 100 * S);
    expect(plan.due).toEqual([]);
    expect(plan.times.get(kid('L'))!.activatesAt).toBe(T0 + 120 * S);
    expect(plan.nextRotationAt).toBe(T0 + 120 * S);
  });

  test('the oldest next key is the one that activates; a second one waits its turn', () => {
    const older = key('O', 'next', T0 - 5 * S);
    const plan = planSchedule([active, next, older], schedule, T0);
    expect(plan.times.get(kid('O'))!.activatesAt).toBe(T0 + 100 * S);
    expect(plan.times.get(kid('N'))).toEqual({ activatesAt: null, retiresAt: null, removedAt: null });
  });

  test('without a next key one is published now, and it may sign a publish lead later at the earliest', () => {
    const plan = planSchedule([key('A', 'active', T0, T0 - 200 * S)], schedule, T0);
    expect(plan.due).toEqual([{ kind: 'publish' }]);
    expect(plan.nextRotationAt).toBe(T0 + 30 * S);
  });

  test('a retired key is removed once its window has passed since retirement', () => {
    const retired = key('R', 'retired', T0 - 200 * S, T0 - 100 * S, T0);
    const before = planSchedule([active, next, retired], schedule, T0 + 19 * S);
    expect(before.times.get(kid('R'))).toEqual({ activatesAt: null, retiresAt: null, removedAt: T0 + 20 * S });
    expect(before.due).toEqual([]);
    expect(before.nextStepAt).toBe(T0 + 20 * S);
    expect(planSchedule([active, next, retired], schedule, T0 + 20 * S).due).toEqual([{ kind: 'remove', kid: kid('R') }]);
  });

  test('without an active key nothing is planned (start-up makes one)', () => {
    const plan = planSchedule([next], schedule, T0);
    expect(plan).toMatchObject({ due: [], nextStepAt: Infinity, nextRotationAt: null });
  });
});

describe('scheduled turns on a keys dir', () => {
  let dir: string;
  beforeEach(async () => { dir = await mkdtemp(path.join(os.tmpdir(), 'tessera-schedule-')); });
  afterEach(async () => { await rm(dir, { recursive: true, force: true }); });

  test('a full cycle: rotate when due, once only however often asked, then delete the retired key', async () => {
    let now = T0;
    const keys = await KeyManager.open({ dir, alg: 'EdDSA', publishRetiredForMs: 20 * S, pollIntervalMs: 0, now: () => now, schedule });
    try {
      const first = keys.list();
      const a = first.find((k) => k.state === 'active')!;
      const n = first.find((k) => k.state === 'next')!;
      expect(a.retires_at).toBe(iso(T0 + 100 * S));
      expect(n).toMatchObject({ activates_at: iso(T0 + 100 * S), next_transition_at: iso(T0 + 100 * S) });

      expect(await keys.runSchedule()).toEqual({ events: [], nextStepAt: T0 + 100 * S });

      now = T0 + 100 * S;
      const [turn, again] = await Promise.all([keys.runSchedule(), keys.runSchedule()]);
      const all = [...turn.events, ...again.events];
      expect(all.filter((e) => e.type === 'key.rotated')).toHaveLength(1);
      expect(all.map((e) => e.type)).toEqual(['key.activated', 'key.rotated', 'key.published']);
      expect(keys.signingKey().kid).toBe(n.kid);
      const after = keys.list();
      expect(after.find((k) => k.kid === a.kid)).toMatchObject({ state: 'retired', removed_at: iso(T0 + 120 * S), published: true });
      expect(turn.nextStepAt === T0 + 120 * S || again.nextStepAt === T0 + 120 * S).toBe(true);

      now = T0 + 120 * S;
      expect((await keys.runSchedule()).events).toEqual([{ type: 'key.removed', kid: a.kid }]);
      expect(keys.list().map((k) => k.kid)).not.toContain(a.kid);
      expect(keys.verificationKey(a.kid)).toBeUndefined();
      expect(keys.plan()!.nextRotationAt).toBe(T0 + 200 * S);
    } finally {
      await keys.close();
    }
  });

  test('the job records each step as the scheduler, and the rotation becomes a key.rotated webhook event', async () => {
    let now = T0;
    const keys = await KeyManager.open({ dir, alg: 'EdDSA', publishRetiredForMs: 20 * S, pollIntervalMs: 0, now: () => now, schedule });
    const events: AuditEvent[] = [];
    const job = new KeyRotationJob(keys, { record: (e) => events.push(e) }, () => now);
    try {
      const [active, next] = [keys.signingKey().kid, keys.list().find((k) => k.state === 'next')!.kid];
      expect(await job.run()).toBe(60_000);
      expect(events).toEqual([]);
      now = T0 + 100 * S;
      expect(await job.run()).toBe(20 * S);
      const fresh = keys.list().find((k) => k.state === 'next')!.kid;
      const scheduler = { type: 'system', id: 'scheduler' };
      expect(events).toEqual([
        { type: 'key.activated', actor: scheduler, subject: next, detail: { kid: next, trigger: 'schedule' } },
        { type: 'key.rotated', actor: scheduler, subject: next, detail: { active: next, next: fresh, retired: active, trigger: 'schedule' } },
        { type: 'key.published', actor: scheduler, subject: fresh, detail: { kid: fresh, trigger: 'schedule' } },
      ]);
      expect(events.map(toWebhookEvent).filter((e) => e !== null)).toEqual([
        { type: 'key.rotated', data: { actor: scheduler, active: next, next: fresh, retired: active, trigger: 'schedule' } },
      ]);
    } finally {
      await keys.close();
    }
  });

  test('without a schedule, keys have no planned steps and a turn does nothing', async () => {
    const keys = await KeyManager.open({ dir, alg: 'EdDSA', publishRetiredForMs: 20 * S, pollIntervalMs: 0 });
    try {
      for (const k of keys.list()) expect(k).toMatchObject({ activates_at: null, retires_at: null, removed_at: null, next_transition_at: null });
      expect(keys.plan()).toBeNull();
      expect(await keys.runSchedule()).toEqual({ events: [], nextStepAt: Infinity });
    } finally {
      await keys.close();
    }
  });
});

describe('TESSERA_KEY_ROTATION_INTERVAL and TESSERA_KEY_ROTATION_MARGIN', () => {
  test.each([
    ['30d', 30 * 86_400], ['12h', 43_200], ['90m', 5400], ['45s', 45], ['3600', 3600], ['off', null],
  ])('%s is %p seconds', (value, seconds) => {
    expect(loadConfig({ TESSERA_KEY_ROTATION_INTERVAL: value }).keyRotationInterval).toBe(seconds);
  });

  test('off by default, with a 60 s margin', () => {
    expect(loadConfig({})).toMatchObject({ keyRotationInterval: null, keyRotationMargin: 60 });
    expect(loadConfig({ TESSERA_KEY_ROTATION_MARGIN: '5m' }).keyRotationMargin).toBe(300);
  });

  test.each(['0s', '30 days', '1w', '-5s', '3651d'])('%s is refused, naming the variable', (value) => {
    expect(() => loadConfig({ TESSERA_KEY_ROTATION_INTERVAL: value })).toThrow(ConfigError);
    try {
      loadConfig({ TESSERA_KEY_ROTATION_INTERVAL: value });
    } catch (err) {
      expect((err as ConfigError).problems).toEqual([
        'TESSERA_KEY_ROTATION_INTERVAL: must be off, or a duration from 1s to 3650d: a whole number with s, m, h or d, e.g. 30d',
      ]);
    }
  });
});
