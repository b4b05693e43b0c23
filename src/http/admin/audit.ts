/** /admin/v1/audit — the audit log: filtered, cursor-paged, and exported as JSON lines. */
import { Router, type Request } from 'express';
import { z } from 'zod';
import type { AuditFilter } from '../../store/store.js';
import { decodeCursor, encodeCursor } from '../../store/cursor.js';
import { InvalidRequestError } from '../../core/errors.js';
import type { AppContext } from '../context.js';
import { onlyMethods } from '../method-guard.js';
import { pageRequest } from './paging.js';

const STREAM_ID = /^\d{1,15}-\d{1,10}$/;
const MAX_EXPORT = 100_000;
/** Entries one list call may read past the filter before it answers a short page. */
const SCAN_LIMIT = 5_000;

const time = z.iso.datetime({ offset: true, message: 'must be an RFC 3339 date-time' }).transform((v) => Date.parse(v));
const text = z.string().min(1).max(200);
const AuditQuery = z.object({
  actor: text.optional(), subject: text.optional(), token_id: text.optional(), type: text.optional(),
  since: time.optional(), until: time.optional(), order: z.enum(['asc', 'desc']).optional(),
  exclude_admin_logins: z.enum(['true', 'false'], { message: 'must be true or false' }).transform((v) => v === 'true').optional(),
});

function filterOf(req: Request): { filter: AuditFilter; order: 'asc' | 'desc' } {
  const parsed = AuditQuery.safeParse(req.query);
  if (!parsed.success) {
    const i = parsed.error.issues[0]!;
    throw new InvalidRequestError(`${i.path.join('.') || 'query'}: ${i.message} (each parameter given once)`);
  }
  const { order, ...filter } = parsed.data;
  return { filter, order: order ?? 'desc' };
}

/** Cursors are the opaque encoding of the last stream id read. */
function afterOf(cursor: string | undefined): string | undefined {
  if (cursor === undefined) return undefined;
  const id = decodeCursor(cursor);
  if (!STREAM_ID.test(id)) throw new InvalidRequestError('cursor is not valid');
  return id;
}

export function auditAdmin(ctx: AppContext): Router {
  const router = Router();

  router.get('/audit', async (req, res) => {
    const { filter, order } = filterOf(req);
    const page = pageRequest(req.query);
    const result = await ctx.store.audit.query({ filter, order, limit: page.limit, after: afterOf(page.cursor), scanLimit: SCAN_LIMIT });
    res.status(200).json({ items: result.items, next_cursor: result.next_cursor === null ? null : encodeCursor(result.next_cursor) });
  });

  router.get('/audit/export', async (req, res) => {
    for (const name of ['order', 'limit', 'cursor']) {
      if (req.query[name] !== undefined) throw new InvalidRequestError(`${name} does not apply: the export answers every matching event, oldest first`);
    }
    const { filter } = filterOf(req);
    // Read it all before answering, so a store failure is still a clean 503 rather than a cut stream.
    const lines: string[] = [];
    let after: string | undefined;
    while (lines.length < MAX_EXPORT) {
      const page = await ctx.store.audit.query({ filter, order: 'asc', limit: Math.min(1000, MAX_EXPORT - lines.length), after, scanLimit: SCAN_LIMIT });
      for (const e of page.items) lines.push(JSON.stringify(e));
      if (page.next_cursor === null) break;
      after = page.next_cursor;
    }
    res.status(200)
      .set({ 'Content-Type': 'application/x-ndjson; charset=utf-8', 'Content-Disposition': 'attachment; filename="tessera-audit.jsonl"' })
      .send(lines.length ? `${lines.join('\n')}\n` : '');
  });

  router.all('/audit', onlyMethods('GET'));
  router.all('/audit/export', onlyMethods('GET'));
  return router;
}
