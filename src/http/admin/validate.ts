import type { z } from 'zod';
import { InvalidRequestError } from '../../core/errors.js';

/** Parses a JSON body with zod; the first problems become one invalid_request message. */
export function parseBody<S extends z.ZodType>(schema: S, body: unknown): z.infer<S> {
  if (body === undefined || body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new InvalidRequestError('the request body must be a JSON object (Content-Type: application/json)');
  }
  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    const problems = parsed.error.issues.slice(0, 5).map((i) => {
      const where = i.path.length ? i.path.join('.') : 'body';
      return `${where}: ${i.message}`;
    });
    throw new InvalidRequestError(problems.join('; '));
  }
  return parsed.data;
}
