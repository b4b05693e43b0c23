/**
 * The token-hygiene reports, mounted twice with one implementation: under
 * /admin/v1 for every token and client, under /v1/me for the caller's own
 * API tokens.
 */
import { Router, type Request, type Response } from 'express';
import type { z } from 'zod';
import type { Caller } from '../../core/api-tokens/api-token-service.js';
import { InvalidRequestError } from '../../core/errors.js';
import { DEFAULT_WINDOW } from '../../core/reports/least-privilege.js';
import { ExpiringQuery, LeastPrivilegeQuery, UnusedQuery } from '../../core/reports/report-input.js';
import type { AppContext } from '../context.js';
import { onlyMethods } from '../method-guard.js';
import { pageRequest } from '../admin/paging.js';

export interface ReportMount {
  /** Admin: any user's tokens (a `user` filter) and clients too. Self-service: the caller's own tokens only. */
  admin: boolean;
  caller(res: Response): Pick<Caller, 'owner'>;
}

const DEFAULT_EXPIRING_WITHIN = 7 * 86_400;
const PAGING = new Set(['limit', 'cursor']);

/** Parses a report's query: its own fields, `limit`/`cursor`, each given once; `user` only where allowed. */
function query<S extends z.ZodType>(schema: S, req: Request, admin: boolean): z.infer<S> {
  if (!admin && req.query.user !== undefined) throw new InvalidRequestError('user is not a filter here: these are your own tokens');
  const own = Object.fromEntries(Object.entries(req.query).filter(([k]) => !PAGING.has(k)));
  const parsed = schema.safeParse(own);
  if (!parsed.success) {
    const i = parsed.error.issues[0]!;
    throw new InvalidRequestError(`${i.path.join('.') || 'query'}: ${i.message} (each parameter given once)`);
  }
  return parsed.data;
}

export function reportRoutes(ctx: AppContext, mount: ReportMount): Router {
  const router = Router();

  router.get('/reports/least-privilege', async (req, res) => {
    const q = query(LeastPrivilegeQuery, req, mount.admin);
    const page = pageRequest(req.query);
    const window = q.window ?? DEFAULT_WINDOW;
    const excessOnly = q.excess_only ?? false;
    if (q.kind === 'client') {
      if (!mount.admin) throw new InvalidRequestError('kind=client is for admins; these are your own API tokens');
      if (q.user !== undefined) throw new InvalidRequestError('user filters API tokens, not clients');
      res.status(200).json(await ctx.leastPrivilege.clientReport({ excessOnly }, window, page));
      return;
    }
    res.status(200).json(await ctx.leastPrivilege.apiTokenReport({ user: q.user, excessOnly }, window, page, mount.caller(res)));
  });

  router.get('/reports/unused', async (req, res) => {
    const q = query(UnusedQuery, req, mount.admin);
    const unusedFor = q.unused_for ?? ctx.config.apiTokenUnusedAfter ?? 30 * 86_400;
    res.status(200).json(await ctx.reports.unused({ user: q.user }, unusedFor, pageRequest(req.query), mount.caller(res)));
  });

  router.get('/reports/expiring', async (req, res) => {
    const q = query(ExpiringQuery, req, mount.admin);
    res.status(200).json(await ctx.reports.expiring({ user: q.user }, q.within ?? DEFAULT_EXPIRING_WITHIN, pageRequest(req.query), mount.caller(res)));
  });

  router.all('/reports/least-privilege', onlyMethods('GET'));
  router.all('/reports/unused', onlyMethods('GET'));
  router.all('/reports/expiring', onlyMethods('GET'));
  return router;
}
