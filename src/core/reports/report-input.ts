/** Query strings of the reports (admin API and /v1/me). */
import { z } from 'zod';
import { MAX_WINDOW } from './least-privilege.js';

const seconds = (max: number) => z.string().regex(/^\d{1,10}$/, 'must be a whole number of seconds')
  .transform(Number).refine((n) => n >= 1 && n <= max, `must be from 1 to ${max} seconds`);

export const LeastPrivilegeQuery = z.object({
  kind: z.enum(['api_token', 'client']).optional(),
  window: seconds(MAX_WINDOW).optional(),
  user: z.string().min(1).max(200).optional(),
  excess_only: z.enum(['true', 'false']).transform((v) => v === 'true').optional(),
});

export const UnusedQuery = z.object({
  unused_for: seconds(315_360_000).optional(),
  user: z.string().min(1).max(200).optional(),
});

export const ExpiringQuery = z.object({
  within: seconds(315_360_000).optional(),
  user: z.string().min(1).max(200).optional(),
});

export const NarrowSchema = z.strictObject({
  /** Seconds back from now in which a scope must have been exercised to be kept. */
  window: z.number().int().min(1).max(MAX_WINDOW).optional(),
});
