/**
 * GET /.well-known/oauth-authorization-server — RFC 8414 §3. Lists exactly
 * what this server supports; serialised once at start.
 */
import { Router } from 'express';
import type { AppContext } from '../context.js';
import { onlyMethods } from '../method-guard.js';
import { SIGNING_ALGS } from '../../core/keys/types.js';

export function buildMetadata(ctx: Pick<AppContext, 'issuer' | 'grants'>): Record<string, unknown> {
  const base = ctx.issuer;
  const clientAuth = ['client_secret_basic', 'client_secret_post'];
  return {
    issuer: base,
    token_endpoint: `${base}/oauth/token`,
    jwks_uri: `${base}/.well-known/jwks.json`,
    revocation_endpoint: `${base}/oauth/revoke`,
    introspection_endpoint: `${base}/oauth/introspect`,
    grant_types_supported: ctx.grants.grantTypes(),
    // RFC 8414 §2 makes this REQUIRED; empty until the authorization endpoint exists.
    response_types_supported: [],
    token_endpoint_auth_methods_supported: clientAuth,
    // Public clients may revoke their own tokens naming only client_id (RFC 7009 §2.1).
    revocation_endpoint_auth_methods_supported: [...clientAuth, 'none'],
    introspection_endpoint_auth_methods_supported: clientAuth,
    // RFC 9068 access tokens are signed with these.
    access_token_signing_alg_values_supported: [...SIGNING_ALGS],
  };
}

export function metadataRoute(ctx: AppContext): Router {
  const router = Router();
  const body = JSON.stringify(buildMetadata(ctx));
  router.get('/.well-known/oauth-authorization-server', (_req, res) => {
    res.status(200).set({ 'Cache-Control': 'public, max-age=300', 'Content-Type': 'application/json; charset=utf-8' }).send(body);
  });
  router.all('/.well-known/oauth-authorization-server', onlyMethods('GET', 'HEAD'));
  return router;
}
