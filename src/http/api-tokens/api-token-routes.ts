/**
 * The API-token resource, mounted twice with one implementation: under
 * /admin/v1 for any user's tokens, and under /v1/me for the caller's own.
 * The mount decides who the caller is and which create body it accepts.
 */
import { Router, type Request, type Response } from 'express';
import type { z } from 'zod';
import {
  ApiTokenListQuery, ApiTokenRevokeSchema, ApiTokenRotateSchema, type ApiTokenCreateInput,
} from '../../core/api-tokens/api-token-input.js';
import type { Caller } from '../../core/api-tokens/api-token-service.js';
import { toApiTokenView } from '../../core/api-tokens/api-token-view.js';
import { InvalidRequestError } from '../../core/errors.js';
import type { AppContext } from '../context.js';
import { NO_STORE } from '../no-store.js';
import { onlyMethods } from '../method-guard.js';
import { pageRequest } from '../admin/paging.js';
import { parseBody } from '../admin/validate.js';
import { NarrowSchema } from '../../core/reports/report-input.js';
import { DEFAULT_WINDOW } from '../../core/reports/least-privilege.js';

export interface ApiTokenMount {
  /** Path prefix for Location headers, e.g. `/admin/v1/api-tokens`. */
  base: string;
  createSchema: z.ZodType<ApiTokenCreateInput & { user?: string }>;
  /** Whether the list may filter by `user` (admin only). */
  userFilter: boolean;
  caller(res: Response): Caller;
}

/** The API token the caller's bearer token was exchanged from (its `api_token_id` claim), if any. */
export function apiTokenBehind(res: Response): string | undefined {
  const id = (res.locals.auth as { api_token_id?: unknown } | undefined)?.api_token_id;
  return typeof id === 'string' ? id : undefined;
}

/** An optional JSON body: absent is `{}`. */
const optionalBody = (req: Request): unknown => (req.body === undefined ? {} : req.body);

function listFilter(query: Request['query'], userFilter: boolean) {
  if (!userFilter && query.user !== undefined) throw new InvalidRequestError('user is not a filter here: these are your own tokens');
  const parsed = ApiTokenListQuery.safeParse(query);
  if (!parsed.success) {
    const i = parsed.error.issues[0]!;
    throw new InvalidRequestError(`${i.path.join('.') || 'query'}: ${i.message} (each filter given once)`);
  }
  return parsed.data;
}

export function apiTokenRoutes(ctx: AppContext, mount: ApiTokenMount): Router {
  const router = Router();
  const now = ctx.now;

  router.post('/api-tokens', async (req, res) => {
    const caller = mount.caller(res);
    const { record, token } = await ctx.apiTokens.create(parseBody(mount.createSchema, req.body), caller);
    res.status(201).set(NO_STORE).location(`${mount.base}/${record.id}`).json({ ...toApiTokenView(record, now()), token });
  });

  router.get('/api-tokens', async (req, res) => {
    const filter = listFilter(req.query, mount.userFilter);
    const page = await ctx.apiTokens.list(filter, pageRequest(req.query), mount.caller(res));
    res.status(200).json({ items: page.items.map((t) => toApiTokenView(t, now())), next_cursor: page.next_cursor });
  });

  router.get('/api-tokens/:id', async (req, res) => {
    res.status(200).json(toApiTokenView(await ctx.apiTokens.get(String(req.params.id), mount.caller(res)), now()));
  });

  // Where and how often the token was used, by route (exchanges, and introspections by resource servers).
  router.get('/api-tokens/:id/usage', async (req, res) => {
    const record = await ctx.apiTokens.get(String(req.params.id), mount.caller(res));
    const usage = await ctx.store.usage.get(`api_token:${record.id}`);
    res.status(200).json({
      id: record.id,
      last_used_at: usage ? new Date(usage.last_used_at).toISOString() : null,
      last_used_ip: usage?.last_used_ip ?? null,
      routes: usage?.routes ?? {},
      scopes: Object.fromEntries(Object.entries(usage?.scopes ?? {}).map(([scope, at]) => [scope, new Date(at).toISOString()])),
    });
  });

  // Least privilege: keep only the scopes exercised within the window (docs/hygiene.md).
  router.post('/api-tokens/:id/narrow', async (req, res) => {
    const { window } = parseBody(NarrowSchema, optionalBody(req));
    const narrowed = await ctx.leastPrivilege.narrowApiToken(String(req.params.id), window ?? DEFAULT_WINDOW, mount.caller(res));
    res.status(200).json({ token: toApiTokenView(narrowed.value, now()), removed: narrowed.removed, window: narrowed.window });
  });

  // Suspicious use paused it: its owner (or an admin) says the use was theirs.
  router.post('/api-tokens/:id/resume', async (req, res) => {
    res.status(200).json(toApiTokenView(await ctx.apiTokens.resume(String(req.params.id), mount.caller(res)), now()));
  });

  router.post('/api-tokens/:id/rotate', async (req, res) => {
    const { grace_period } = parseBody(ApiTokenRotateSchema, optionalBody(req));
    const { record, token } = await ctx.apiTokens.rotate(String(req.params.id), grace_period ?? 0, mount.caller(res));
    res.status(200).set(NO_STORE).json({ ...toApiTokenView(record, now()), token });
  });

  router.delete('/api-tokens/:id', async (req, res) => {
    const body = parseBody(ApiTokenRevokeSchema, optionalBody(req));
    const fromQuery = typeof req.query.reason === 'string' ? req.query.reason.slice(0, 500) : undefined;
    const record = await ctx.apiTokens.revoke(String(req.params.id), body.reason ?? fromQuery ?? null, mount.caller(res));
    res.status(200).json(toApiTokenView(record, now()));
  });

  router.all('/api-tokens', onlyMethods('GET', 'POST'));
  router.all('/api-tokens/:id', onlyMethods('GET', 'DELETE'));
  router.all('/api-tokens/:id/rotate', onlyMethods('POST'));
  router.all('/api-tokens/:id/usage', onlyMethods('GET'));
  router.all('/api-tokens/:id/narrow', onlyMethods('POST'));
  router.all('/api-tokens/:id/resume', onlyMethods('POST'));
  return router;
}
