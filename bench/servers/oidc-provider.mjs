// node-oidc-provider (v9) set up as the closest equivalent of Tessera's
// client_credentials: one confidential client (client_secret_basic), an
// Ed25519 (EdDSA) signing key, and a resource server whose access tokens are
// JWTs (RFC 9068), so the token endpoint signs a JWT per request like Tessera.
// Production-like: no dev interactions, an explicit in-memory adapter (JWT
// access tokens are not stored anyway), every TTL set, no dev warnings.
// Env: PORT, BENCH_CLIENT_ID, BENCH_CLIENT_SECRET, BENCH_AUDIENCE, BENCH_SCOPE.
// Prints `listening on <port>`; SIGTERM stops it.
import http from 'node:http';
import { exportJWK, generateKeyPair } from 'jose';
import Provider from 'oidc-provider';

const env = process.env;
const AUD = env.BENCH_AUDIENCE;
const SCOPE = env.BENCH_SCOPE ?? 'orders:read';

/** The in-memory store oidc-provider asks for (its bundled one is labelled development-only and warns). */
class MapAdapter {
  static #stores = new Map();
  constructor(name) {
    if (!MapAdapter.#stores.has(name)) MapAdapter.#stores.set(name, new Map());
    this.store = MapAdapter.#stores.get(name);
  }
  async upsert(id, payload) { this.store.set(id, payload); }
  async find(id) { return this.store.get(id); }
  async findByUserCode() { return undefined; }
  async findByUid() { return undefined; }
  async consume(id) { const p = this.store.get(id); if (p) p.consumed = Math.floor(Date.now() / 1000); }
  async destroy(id) { this.store.delete(id); }
  async revokeByGrantId() {}
}

const { privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
const jwk = { ...(await exportJWK(privateKey)), alg: 'EdDSA', use: 'sig', kid: 'bench-ed25519' };

const server = http.createServer();
await new Promise((resolve) => server.listen(Number(env.PORT ?? 0), '127.0.0.1', resolve));
const port = server.address().port;
const issuer = `http://127.0.0.1:${port}`;

const provider = new Provider(issuer, {
  adapter: MapAdapter,
  clients: [{
    client_id: env.BENCH_CLIENT_ID,
    client_secret: env.BENCH_CLIENT_SECRET,
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
    token_endpoint_auth_method: 'client_secret_basic',
    id_token_signed_response_alg: 'EdDSA',
    scope: SCOPE,
  }],
  jwks: { keys: [jwk] },
  scopes: [SCOPE],
  cookies: { keys: ['bench-cookie-key-0123456789abcdef'] },
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: async () => AUD,
      useGrantedResource: async () => true,
      getResourceServerInfo: async (_ctx, resource) => {
        if (resource !== AUD) throw new Provider.errors.InvalidTarget();
        return { scope: SCOPE, audience: AUD, accessTokenTTL: 600, accessTokenFormat: 'jwt', jwt: { sign: { alg: 'EdDSA' } } };
      },
    },
  },
  ttl: {
    AccessToken: 600, ClientCredentials: 600, AuthorizationCode: 60, IdToken: 600, RefreshToken: 86_400,
    Grant: 86_400, Interaction: 600, Session: 86_400, DeviceCode: 600, BackchannelAuthenticationRequest: 600,
  },
  clientBasedCORS: () => false,
  renderError: async (ctx, out) => { ctx.type = 'json'; ctx.body = out; },
});
provider.on('server_error', (_ctx, err) => process.stderr.write(`oidc-provider: ${err.message}\n`));
server.on('request', provider.callback());
process.stdout.write(`listening on ${port}\n`);

process.on('SIGTERM', () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
});
