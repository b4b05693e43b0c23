/**
 * GET /: what a person who opens the server's address finds. A small page
 * for a browser, JSON for anything else (curl, scripts): the endpoints and
 * what to do next. Nothing secret, no version (it would only help an
 * attacker pick exploits), no script.
 */
import { Router } from 'express';
import type { AppContext } from '../context.js';
import { onlyMethods } from '../method-guard.js';
import { NO_STORE } from '../no-store.js';
import { escapeHtml, pageLayout } from '../authorize/pages.js';
import { setPageHeaders } from '../authorize/page-headers.js';

export interface Home {
  name: 'Tessera';
  issuer: string;
  endpoints: Record<string, string>;
  next_steps: string[];
}

export function homeDocument(ctx: Pick<AppContext, 'issuer' | 'config'>): Home {
  const base = ctx.issuer;
  const endpoints: Record<string, string> = {
    metadata: `${base}/.well-known/oauth-authorization-server`,
    jwks: `${base}/.well-known/jwks.json`,
    token: `${base}/oauth/token`,
    authorization: `${base}/oauth/authorize`,
    introspection: `${base}/oauth/introspect`,
    revocation: `${base}/oauth/revoke`,
    admin: `${base}/admin/v1`,
    liveness: `${base}/healthz`,
    readiness: `${base}/readyz`,
  };
  // With TESSERA_METRICS_PORT, /metrics is on another listener, not here.
  if (ctx.config.metricsPort === null) endpoints.metrics = `${base}/metrics`;
  return {
    name: 'Tessera',
    issuer: base,
    endpoints,
    next_steps: [
      `Get an admin token with the secret printed at the first start: curl -u tessera-admin:SECRET -d grant_type=client_credentials -d scope=tessera:admin ${base}/oauth/token`,
      `Or log the command line in: npx -p @tessera-auth/server tessera login --url ${base} --client-id tessera-admin`,
      'Then create clients, users and API tokens: the README\'s quick start walks through it, and openapi.yaml in the package describes every endpoint.',
    ],
  };
}

function homePage(home: Home): string {
  const rows = Object.entries(home.endpoints)
    .map(([name, url]) => `<li><strong>${escapeHtml(name)}</strong>: <code>${escapeHtml(url)}</code></li>`)
    .join('\n');
  const steps = home.next_steps.map((s) => `<li>${escapeHtml(s)}</li>`).join('\n');
  return pageLayout('Tessera', `<h1>Tessera</h1>
<p class="lead">This token server is running. Its issuer is <code>${escapeHtml(home.issuer)}</code>.</p>
<h2>Endpoints</h2>
<ul>
${rows}
</ul>
<h2>Next steps</h2>
<ol>
${steps}
</ol>`, true);
}

export function homeRoute(ctx: AppContext): Router {
  const router = Router();
  const home = homeDocument(ctx);
  const page = homePage(home);
  router.get('/', (req, res) => {
    res.vary('Accept');
    // A browser asks for HTML first; curl (*/*) and scripts get JSON.
    if (req.accepts(['application/json', 'text/html']) === 'text/html') {
      setPageHeaders(res, null);
      res.status(200).send(page);
    } else {
      res.status(200).set(NO_STORE).json(home);
    }
  });
  router.all('/', onlyMethods('GET', 'HEAD'));
  return router;
}
