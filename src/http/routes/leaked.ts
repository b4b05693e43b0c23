/** POST /oauth/leaked — report leaked secrets; every real Tessera token among them is revoked. */
import express, { Router } from 'express';
import { z } from 'zod';
import { MAX_LEAK_REPORT_TOKENS } from '../../core/api-tokens/leaked-tokens.js';
import type { AppContext } from '../context.js';
import { NO_STORE } from '../no-store.js';
import { onlyMethods } from '../method-guard.js';
import { parseBody } from '../admin/validate.js';
import { keepingContext } from '../request-context.js';

const LeakReport = z.strictObject({
  tokens: z.array(z.string().max(512)).min(1).max(MAX_LEAK_REPORT_TOKENS),
  /** Where the secrets were found (a URL, a file), for the audit log. */
  source: z.string().max(2000).optional(),
});

export function leakedRoute(ctx: AppContext): Router {
  const router = Router();
  router.post('/oauth/leaked', keepingContext(express.json({ limit: '256kb', strict: true })), async (req, res) => {
    const report = parseBody(LeakReport, req.body);
    await ctx.leakedTokens.report(report.tokens, { ip: req.ip ?? '', source: report.source ?? null });
    // Accepted whatever the strings were: the answer must not tell which were live tokens.
    res.status(202).set(NO_STORE).json({ received: report.tokens.length });
  });
  router.all('/oauth/leaked', onlyMethods('POST'));
  return router;
}
