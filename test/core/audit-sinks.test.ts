import { pino, type Logger } from 'pino';
import { MemoryAuditSink, requestContext, StoreAuditSink, TeeAuditSink, type AuditEvent, type AuditSink } from '../../src/core/audit.js';
import { StoreUnavailableError } from '../../src/core/errors.js';
import { MemoryStore } from '../../src/store/memory-store.js';
import type { AuditLog, PeekThenTake, StepLimits } from '../../src/store/store.js';

const rule = { requests: 3, perSeconds: 60 };
const limits: StepLimits = { peek: { key: 'auth_failures:192.0.2.1', rule }, take: { key: 'client:svc', rule }, nowMs: 1_000 };
const allowed = { allowed: true, remaining: 2, resetSeconds: 20, retryAfterSeconds: 0 };
const refused = { allowed: false, remaining: 0, resetSeconds: 60, retryAfterSeconds: 20 };
const event: AuditEvent = { type: 'token.issued', actor: { type: 'client', id: 'svc' }, subject: 'svc', token_id: 'jti-1', client_id: 'svc', detail: { scope: 'a' } };

/** An audit log whose appendLimited answers `outcome` and `id`, and keeps what it was given. */
function limitedLog(outcome: PeekThenTake, id: string | Error | null): AuditLog & { calls: unknown[][] } {
  const store = new MemoryStore();
  const calls: unknown[][] = [];
  return Object.assign(Object.create(store.audit) as AuditLog, {
    calls,
    appendLimited: async (...args: unknown[]) => { calls.push(args); return { limits: outcome, id }; },
  });
}

function lines(): { logger: Logger; seen: Array<Record<string, unknown>> } {
  const seen: Array<Record<string, unknown>> = [];
  return { seen, logger: pino({ level: 'debug' }, { write: (l: string) => { seen.push(JSON.parse(l) as Record<string, unknown>); } }) };
}

/** An audit log that keeps what append() and appendLater() were given; appendLater's callbacks are called by the test. */
function heldLog(): AuditLog & { appends: unknown[][]; later: Array<{ args: unknown[]; settle: (err: unknown) => void }> } {
  const store = new MemoryStore();
  const appends: unknown[][] = [];
  const later: Array<{ args: unknown[]; settle: (err: unknown) => void }> = [];
  return Object.assign(Object.create(store.audit) as AuditLog, {
    appends,
    later,
    append: async (...args: unknown[]) => { appends.push(args); return '1-0'; },
    appendLater: (...args: unknown[]) => { later.push({ args: args.slice(0, 3), settle: args[3] as (err: unknown) => void }); },
  });
}

const stored = (at: number, ctx: { ip: string; requestId: string; route: string } | null = null) => ({
  time: new Date(at).toISOString(), type: 'token.issued', actor: { type: 'client', id: 'svc' }, subject: 'svc', token_id: 'jti-1', client_id: 'svc',
  ip: ctx?.ip ?? null, user_agent: null, request_id: ctx?.requestId ?? null, route: ctx?.route ?? null, detail: { scope: 'a' },
});

describe('StoreAuditSink.record', () => {
  test('outside an admin action, hands the entry to appendLater (no promise per event), with its time and the retention', () => {
    const log = heldLog();
    const sink = new StoreAuditSink(log, pino({ level: 'silent' }), 60_000, () => 5_000);
    const ctx = { requestId: 'req-1', ip: '192.0.2.1', userAgent: null, route: 'POST /oauth/token' };
    requestContext.run(ctx, () => sink.record(event));
    expect(log.later.map((l) => l.args)).toEqual([[stored(5_000, ctx), 5_000, 60_000]]);
    expect(log.appends).toEqual([]);
  });

  test('flush() resolves only once every fire-and-forget write has called back', async () => {
    const log = heldLog();
    const sink = new StoreAuditSink(log, pino({ level: 'silent' }), 60_000);
    sink.record(event);
    sink.record({ ...event, token_id: 'jti-2' });
    let flushed = false;
    const flushing = sink.flush().then(() => { flushed = true; });
    log.later[0]!.settle(null);
    await new Promise((r) => setImmediate(r));
    expect(flushed).toBe(false);
    log.later[1]!.settle(null);
    await flushing;
    expect(flushed).toBe(true);
    // Nothing in flight: at once.
    await sink.flush();
  });

  test('a fire-and-forget write that fails is logged as a failed audit write, never thrown', async () => {
    const { logger, seen } = lines();
    const log = heldLog();
    const sink = new StoreAuditSink(log, logger, 60_000);
    sink.record(event);
    log.later[0]!.settle(new StoreUnavailableError('the store is temporarily unavailable'));
    await sink.flush();
    expect(seen).toEqual([expect.objectContaining({ msg: 'audit write failed', audit: 'token.issued', token_id: 'jti-1', err: expect.stringContaining('temporarily unavailable') })]);
  });

  test('an entry the log cannot even take (its detail not serializable) is logged as a failed write, and record() does not throw', async () => {
    const { logger, seen } = lines();
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    const log = Object.assign(Object.create(new MemoryStore().audit) as AuditLog, {
      appendLater: () => { JSON.stringify(circular); },
    });
    const failing = new StoreAuditSink(log, logger, 60_000);
    expect(() => failing.record(event)).not.toThrow();
    await failing.flush();
    expect(seen).toEqual([expect.objectContaining({ msg: 'audit write failed', audit: 'token.issued', token_id: 'jti-1', err: expect.stringContaining('circular') })]);
  });

  test('within an admin action, appends durably and hands the write to the action, which waits for it', async () => {
    const log = heldLog();
    const sink = new StoreAuditSink(log, pino({ level: 'silent' }), 60_000, () => 7_000);
    const writes: Array<Promise<unknown>> = [];
    requestContext.run({ requestId: 'req-2', ip: '192.0.2.1', userAgent: null, route: 'POST /admin/v1/users', auditWrites: writes }, () => sink.record(event));
    expect(log.later).toEqual([]);
    expect(log.appends).toEqual([[stored(7_000, { ip: '192.0.2.1', requestId: 'req-2', route: 'POST /admin/v1/users' }), 7_000, 60_000, { durable: true }]]);
    expect(writes).toHaveLength(1);
    expect(await writes[0]).toBe('1-0');
    await sink.flush();
  });
});

describe('StoreAuditSink.recordLimited', () => {
  test('is offered only when the log can append within the limits (not on the memory store)', async () => {
    const store = new MemoryStore();
    expect((store.audit as AuditLog).appendLimited).toBeUndefined();
    expect(new StoreAuditSink(store.audit, pino({ level: 'silent' }), 60_000).recordLimited).toBeUndefined();
    expect(typeof new StoreAuditSink(limitedLog({ peeked: allowed, taken: allowed }, '1-0'), pino({ level: 'silent' }), 60_000).recordLimited).toBe('function');
    await store.close();
  });

  test('hands the log the limits, the stored entry, its time and the retention, and answers the limits\' outcome', async () => {
    const log = limitedLog({ peeked: allowed, taken: allowed }, '1-0');
    const sink = new StoreAuditSink(log, pino({ level: 'silent' }), 60_000, () => 5_000);
    expect(await sink.recordLimited!(event, limits)).toEqual({ peeked: allowed, taken: allowed });
    expect(log.calls).toEqual([[limits, {
      time: new Date(5_000).toISOString(), type: 'token.issued', actor: { type: 'client', id: 'svc' }, subject: 'svc', token_id: 'jti-1', client_id: 'svc',
      ip: null, user_agent: null, request_id: null, route: null, detail: { scope: 'a' },
    }, 5_000, 60_000]]);
  });

  test('an entry the store refused is logged as a failed audit write, and the limits\' outcome still answered', async () => {
    const { logger, seen } = lines();
    const sink = new StoreAuditSink(limitedLog({ peeked: allowed, taken: allowed }, new StoreUnavailableError('the store is temporarily unavailable')), logger, 60_000);
    expect(await sink.recordLimited!(event, limits)).toEqual({ peeked: allowed, taken: allowed });
    expect(seen).toEqual([expect.objectContaining({ msg: 'audit write failed', audit: 'token.issued', token_id: 'jti-1', err: expect.stringContaining('temporarily unavailable') })]);
  });
});

describe('TeeAuditSink.recordLimited', () => {
  const limitedSink = (outcome: PeekThenTake): AuditSink & { limited: AuditEvent[] } => {
    const limited: AuditEvent[] = [];
    return { limited, record: () => { throw new Error('recorded apart'); }, recordLimited: async (e) => { limited.push(e); return outcome; } };
  };

  test('is offered when exactly one sink offers it', () => {
    const one = limitedSink({ peeked: allowed, taken: allowed });
    expect(new TeeAuditSink([new MemoryAuditSink()]).recordLimited).toBeUndefined();
    expect(typeof new TeeAuditSink([one, new MemoryAuditSink()]).recordLimited).toBe('function');
    expect(new TeeAuditSink([one, limitedSink({ peeked: allowed, taken: allowed })]).recordLimited).toBeUndefined();
  });

  test('the other sinks record the event once both limits allowed', async () => {
    const one = limitedSink({ peeked: allowed, taken: allowed });
    const other = new MemoryAuditSink();
    expect(await new TeeAuditSink([one, other]).recordLimited!(event, limits)).toEqual({ peeked: allowed, taken: allowed });
    expect(one.limited).toEqual([event]);
    expect(other.events).toEqual([event]);
  });

  test.each([
    ['the address is over its failures', { peeked: refused, taken: null }],
    ['the client is over its allowance', { peeked: allowed, taken: refused }],
  ])('nothing is recorded by the others when %s', async (_what, outcome) => {
    const other = new MemoryAuditSink();
    expect(await new TeeAuditSink([limitedSink(outcome), other]).recordLimited!(event, limits)).toEqual(outcome);
    expect(other.events).toEqual([]);
  });
});
