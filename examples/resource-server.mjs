// A resource server that accepts Tessera's tokens with @tessera-auth/server/verifier.
//
//   TESSERA_ISSUER=http://127.0.0.1:8080 AUDIENCE=https://orders.example.com PORT=3000 \
//   REQUIRED_SCOPE=orders:read node examples/resource-server.mjs
//
// Environment:
//   TESSERA_ISSUER          Tessera's issuer (required)
//   AUDIENCE                this API's name, which tokens must carry in `aud` (required)
//   PORT                    listen port on 127.0.0.1 (default 3000; 0 = any free port)
//   REQUIRED_SCOPE          space-separated scopes GET /orders needs (default none)
//   REDIS_URL               Tessera's Redis: revocations read from it (refused at once)
//                           and rate limits counted in it; TESSERA_REDIS_PREFIX as the server's
//   FEED_POLL_MS            without REDIS_URL: poll the revocation feed this often (default 5000;
//                           a revoked token is refused at most this long after its revocation)
//   INTROSPECT_CLIENT_ID / INTROSPECT_CLIENT_SECRET  a Tessera client, to accept API tokens (tsp_...)
//
// Prints `listening on <port>`; SIGTERM stops it with exit code 0.
import express from 'express';
import { requireToken } from '@tessera-auth/server/verifier';

const env = process.env;
for (const name of ['TESSERA_ISSUER', 'AUDIENCE']) {
  if (!env[name]) {
    process.stderr.write(`resource-server: ${name} is required\n`);
    process.exit(2);
  }
}

let redis = null;
const options = {
  issuer: env.TESSERA_ISSUER,
  audience: env.AUDIENCE,
  scopes: (env.REQUIRED_SCOPE ?? '').split(' ').filter(Boolean),
  onError: (err) => process.stderr.write(`resource-server: ${err instanceof Error ? err.message : String(err)}\n`),
};
if (env.REDIS_URL) {
  // ioredis is the caller's to choose and configure; the verifier only uses the client it is given.
  const { Redis } = await import('ioredis');
  redis = new Redis(env.REDIS_URL, { maxRetriesPerRequest: 1 });
  redis.on('error', (err) => options.onError(err));
  const prefix = env.TESSERA_REDIS_PREFIX ?? 'tessera:';
  options.revocations = { redis, prefix };
  options.rateLimit = { redis, prefix };
  options.usage = { redis, prefix };
} else {
  options.revocations = { feed: true, pollIntervalMs: Number(env.FEED_POLL_MS ?? 5000) };
}
if (env.INTROSPECT_CLIENT_ID && env.INTROSPECT_CLIENT_SECRET) {
  options.introspection = { clientId: env.INTROSPECT_CLIENT_ID, clientSecret: env.INTROSPECT_CLIENT_SECRET };
}

const auth = requireToken(options);
const app = express();
app.disable('x-powered-by');
app.get('/orders', auth, (req, res) => {
  res.json({ ok: true, sub: req.auth.sub });
});

const server = app.listen(Number(env.PORT ?? 3000), '127.0.0.1', () => {
  process.stdout.write(`listening on ${server.address().port}\n`);
});

let stopping = false;
process.on('SIGTERM', async () => {
  if (stopping) return;
  stopping = true;
  server.close();
  server.closeIdleConnections();
  await auth.close();
  redis?.disconnect();
  process.exit(0);
});
