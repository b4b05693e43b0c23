/**
 * GET /.well-known/oauth-authorization-server — RFC 8414 §3. Lists exactly
 * what this server supports; serialised once at start, with a strong ETag
 * for revalidation (304 to a matching If-None-Match).
 */
import { Router } from 'express';
import type { AppContext } from '../context.js';
import { onlyMethods } from '../method-guard.js';
import { preserialize, sendPreserialized } from '../preserialized.js';
import type { PublicDocument } from '../public-documents.js';
import { SIGNING_ALGS } from '../../core/keys/types.js';
import { ASSERTION_ALGS } from '../../core/assertions/jwt-assertion.js';
import { DPOP_ALGS } from '../../core/dpop/dpop-proof.js';

export function buildMetadata(ctx: Pick<AppContext, 'issuer' | 'grants'>): Record<string, unknown> {
  const base = ctx.issuer;
  const clientAuth = ['client_secret_basic', 'client_secret_post', 'private_key_jwt'];
  // RFC 8414 §2: the algorithms private_key_jwt assertions may be signed with.
  const assertionAlgs = [...ASSERTION_ALGS];
  return {
    issuer: base,
    authorization_endpoint: `${base}/oauth/authorize`,
    token_endpoint: `${base}/oauth/token`,
    jwks_uri: `${base}/.well-known/jwks.json`,
    revocation_endpoint: `${base}/oauth/revoke`,
    introspection_endpoint: `${base}/oauth/introspect`,
    // Not standardised: where secret scanners report leaked Tessera tokens (no authentication).
    leaked_token_endpoint: `${base}/oauth/leaked`,
    // Not standardised: the signed feed of revocations that local verifiers poll.
    revocation_feed_endpoint: `${base}/oauth/revocations`,
    grant_types_supported: ctx.grants.grantTypes(),
    response_types_supported: ['code'],
    response_modes_supported: ['query'],
    // RFC 7636: S256 only; `plain` is refused.
    code_challenge_methods_supported: ['S256'],
    // RFC 9207: redirects back to the client carry `iss`.
    authorization_response_iss_parameter_supported: true,
    // Public clients (authorization code + PKCE) name themselves with client_id only.
    token_endpoint_auth_methods_supported: [...clientAuth, 'none'],
    // Public clients may revoke their own tokens naming only client_id (RFC 7009 §2.1).
    revocation_endpoint_auth_methods_supported: [...clientAuth, 'none'],
    introspection_endpoint_auth_methods_supported: clientAuth,
    token_endpoint_auth_signing_alg_values_supported: assertionAlgs,
    revocation_endpoint_auth_signing_alg_values_supported: assertionAlgs,
    introspection_endpoint_auth_signing_alg_values_supported: assertionAlgs,
    // RFC 9449 §5.1: DPoP proofs are accepted with these.
    dpop_signing_alg_values_supported: [...DPOP_ALGS],
    // RFC 9068 access tokens are signed with these.
    access_token_signing_alg_values_supported: [...SIGNING_ALGS],
  };
}

/** The metadata as the route serves it; also answered before Express (public-documents.ts). */
export function metadataDocument(ctx: AppContext): PublicDocument {
  const doc = preserialize(JSON.stringify(buildMetadata(ctx)));
  return { path: '/.well-known/oauth-authorization-server', cacheControl: 'public, max-age=300', current: () => doc };
}

export function metadataRoute(ctx: AppContext): Router {
  const router = Router();
  const { path, cacheControl, current } = metadataDocument(ctx);
  router.get(path, (req, res) => {
    sendPreserialized(req, res, current(), cacheControl);
  });
  router.all(path, onlyMethods('GET', 'HEAD'));
  return router;
}
