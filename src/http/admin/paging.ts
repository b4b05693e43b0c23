import { z } from 'zod';
import type { PageRequest } from '../../store/store.js';
import { InvalidRequestError } from '../../core/errors.js';

const PageQuery = z.object({
  limit: z.string().regex(/^\d{1,3}$/).transform(Number).refine((n) => n >= 1 && n <= 200).optional(),
  cursor: z.string().min(1).max(512).optional(),
});

/** `limit` (1-200, default 50) and an opaque `cursor`, from the query string. */
export function pageRequest(query: unknown): PageRequest {
  const parsed = PageQuery.safeParse(query ?? {});
  if (!parsed.success) throw new InvalidRequestError('limit must be a whole number from 1 to 200 and cursor a string, each given once');
  return { limit: parsed.data.limit ?? 50, cursor: parsed.data.cursor };
}
