/** /admin/v1 — JSON admin API behind a bearer token with scope `tessera:admin`. */
import express, { Router } from 'express';
import type { AppContext } from '../context.js';
import { requireBearer } from '../bearer-auth.js';
import { keepingContext } from '../request-context.js';
import { answerAfterAudit } from '../audited-actions.js';
import { clientsAdmin } from './clients.js';
import { keysAdmin } from './keys.js';
import { usersAdmin } from './users.js';
import { rolesAdmin } from './roles.js';
import { apiTokensAdmin } from './api-tokens.js';
import { auditAdmin } from './audit.js';
import { webhooksAdmin } from './webhooks.js';
import { reportRoutes } from '../reports/report-routes.js';
import { overviewAdmin } from './overview.js';
import { trustPoliciesAdmin } from './trust-policies.js';

export { ADMIN_SCOPE } from '../../core/first-admin.js';
import { ADMIN_SCOPE } from '../../core/first-admin.js';

export function adminRouter(ctx: AppContext): Router {
  const router = Router();
  router.use(requireBearer(ctx, ADMIN_SCOPE));
  // A change is answered only once its audit event is written.
  router.use(answerAfterAudit);
  router.use(keepingContext(express.json({ limit: '64kb', strict: true })));
  // Admin answers describe credentials and configuration: never cache them.
  router.use((_req, res, next) => {
    res.set('Cache-Control', 'no-store');
    next();
  });
  router.use(clientsAdmin(ctx));
  router.use(keysAdmin(ctx));
  router.use(usersAdmin(ctx));
  router.use(rolesAdmin(ctx));
  router.use(apiTokensAdmin(ctx));
  router.use(auditAdmin(ctx));
  router.use(webhooksAdmin(ctx));
  router.use(reportRoutes(ctx, { admin: true, caller: () => ({}) }));
  router.use(overviewAdmin(ctx));
  router.use(trustPoliciesAdmin(ctx));
  return router;
}
