// What each scenario sends, to which server. `ctx` holds the seeded
// credentials and tokens; every spec goes to the load runner as JSON.
import { AUDIENCE, FORM, SCOPE } from './seed.mjs';

const CC_BODY = new URLSearchParams({ grant_type: 'client_credentials', scope: SCOPE, resource: AUDIENCE }).toString();
const post = (path, auth, body) => ({ method: 'POST', path, headers: { Authorization: auth, 'Content-Type': FORM }, body });
const get = (path, headers = {}) => ({ method: 'GET', path, headers });

/** client_credentials issuance by Tessera through bench/lean-runner.mjs. */
export const LEAN_CC = 'tessera (lean client)';

export const SCENARIOS = {
  cc: {
    title: 'client_credentials issuance',
    contenders: [
      { id: 'tessera', server: 'tessera', spec: (c) => post('/oauth/token', c.seed.auth, CC_BODY) },
      { id: 'oidc-provider', server: 'oidc', spec: (c) => post('/token', c.oidcAuth, CC_BODY) },
      { id: 'express-baseline', server: 'baseline', spec: (c) => post('/oauth/token', c.seed.auth, CC_BODY) },
      // The same issuance through the client the rotation goes through (runner 'lean', bench/lean-runner.mjs): what the rotation is compared with.
      { id: LEAN_CC, server: 'tessera', runner: 'lean', spec: (c) => post('/oauth/token', c.seed.auth, CC_BODY) },
    ],
  },
  refresh: {
    title: 'refresh_token rotation (each connection presents the token it just received)',
    contenders: [
      { id: 'tessera', server: 'tessera', runner: 'lean', spec: (c) => ({ ...post('/oauth/token', c.seed.auth, undefined), chain: { tokens: c.refreshPool } }) },
    ],
  },
  exchange: {
    title: 'token exchange of an API token (RFC 8693)',
    contenders: [
      {
        id: 'tessera', server: 'tessera',
        spec: (c) => post('/oauth/token', c.seed.auth, new URLSearchParams({
          grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
          subject_token: c.seed.apiToken,
          subject_token_type: 'urn:tessera:params:oauth:token-type:api_token',
        }).toString()),
      },
    ],
  },
  introspect: {
    title: 'introspection of an API token (RFC 7662)',
    contenders: [
      { id: 'tessera', server: 'tessera', spec: (c) => post('/oauth/introspect', c.seed.auth, `token=${c.seed.apiToken}`) },
    ],
  },
  'introspect-jwt': {
    title: 'introspection of a JWT access token (RFC 7662)',
    contenders: [
      { id: 'tessera', server: 'tessera', spec: (c) => post('/oauth/introspect', c.seed.auth, `token=${c.accessToken}`) },
    ],
  },
  jwks: {
    title: 'JWKS GET',
    contenders: [
      { id: 'tessera', server: 'tessera', spec: () => get('/.well-known/jwks.json') },
      { id: 'oidc-provider', server: 'oidc', spec: () => get('/jwks') },
      { id: 'express-baseline', server: 'baseline', spec: () => get('/.well-known/jwks.json') },
    ],
  },
  verify: {
    title: 'resource server: verify an access token',
    contenders: [
      { id: 'tessera/verifier', server: 'verifier', spec: (c) => get('/orders', { Authorization: `Bearer ${c.accessToken}` }) },
      { id: 'jose jwtVerify', server: 'jose', spec: (c) => get('/orders', { Authorization: `Bearer ${c.accessToken}` }) },
    ],
  },
};

/** Scenarios that send ctx.accessToken: a fresh one before each round (it expires). */
export const NEEDS_ACCESS_TOKEN = ['introspect-jwt', 'verify'];

/** The servers the chosen scenarios need. */
export function serversFor(names) {
  return new Set(names.flatMap((n) => SCENARIOS[n].contenders.map((c) => c.server)));
}
