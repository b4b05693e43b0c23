import type { z } from 'zod';
import { InvalidRequestError } from '../../core/errors.js';
import { describeIssues } from '../../config/zod-issues.js';

/** Parses a JSON body with zod; the first problems become one invalid_request message. */
export function parseBody<S extends z.ZodType>(schema: S, body: unknown): z.infer<S> {
  if (body === undefined || body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new InvalidRequestError('the request body must be a JSON object (Content-Type: application/json)');
  }
  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    throw new InvalidRequestError(describeIssues(schema, parsed.error.issues.slice(0, 5), 'body').join('; '));
  }
  return parsed.data;
}
