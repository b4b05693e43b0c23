/**
 * Admin actions are acknowledged only with their audit event written.
 *
 * An audit write is otherwise fire-and-forget (src/core/audit.ts), and
 * batched with the rest of its event-loop turn (turn-batched-redis.ts) it
 * may not even have left when the answer does: a process killed then leaves
 * an acknowledged change with no event.
 * For the state-changing requests of the admin API and /v1/me, the request
 * context collects the audit writes the action makes (written durably: where
 * WAIT applies, a replica has them, like the change itself), and the answer,
 * whatever route sends it and however (`json`, `send`, `end`), is held until
 * they are acknowledged. When one fails the answer becomes a 503
 * (temporarily_unavailable, Retry-After): the change may have been made, but
 * it is not acknowledged, and every admin change is safe to retry.
 */
import type { RequestHandler, Response } from 'express';
import { requestContext } from '../core/audit.js';
import { StoreUnavailableError } from '../core/errors.js';
import { sendError, STORE_OUTAGE } from './error-response.js';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
/** What the held answer set for itself and a 503 must not keep. */
const ANSWER_HEADERS = ['Content-Type', 'Content-Length', 'Content-Disposition', 'Location', 'ETag', 'Last-Modified'];

export const answerAfterAudit: RequestHandler = (req, res, next) => {
  const context = requestContext.getStore();
  if (!context || SAFE_METHODS.has(req.method)) return next();
  const writes: Array<Promise<unknown>> = [];
  context.auditWrites = writes;
  const end = res.end;
  const hold = function (this: Response, ...args: unknown[]): Response {
    if (writes.length === 0) return (end as (...a: unknown[]) => Response).apply(this, args);
    const pending = writes.splice(0);
    Promise.all(pending).then(
      () => (hold as (...a: unknown[]) => Response).apply(this, args),
      () => {
        res.end = end;
        if (res.headersSent) return void (end as (...a: unknown[]) => Response).apply(this, args);
        for (const name of ANSWER_HEADERS) res.removeHeader(name);
        res.locals[STORE_OUTAGE] = true;
        sendError(res, new StoreUnavailableError('the audit event of this action could not be written'));
      },
    );
    return this;
  };
  res.end = hold as Response['end'];
  next();
};
