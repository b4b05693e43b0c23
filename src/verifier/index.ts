/**
 * `@tessera-auth/server/verifier`: what a resource server needs to accept Tessera's
 * tokens. See require-token.ts for the order of checks and the revocation
 * guarantees.
 *
 *   import { requireToken } from '@tessera-auth/server/verifier';
 *   const auth = requireToken({ issuer, audience: 'https://api.example.com', scopes: ['orders:read'],
 *                               revocations: { feed: true } });
 *   app.get('/orders', auth, (req, res) => res.json({ sub: req.auth!.sub }));
 */
export { requireToken, type TokenMiddleware } from './require-token.js';
export { tokenOf, type VerifiedToken } from './verified-token.js';
export type {
  VerifierOptions, RedisRevocationOptions, FeedRevocationOptions, IntrospectionOptions, RateLimitOptions, RateLimitRule,
  DpopOptions,
} from './options.js';
export { BearerError } from './bearer-errors.js';
