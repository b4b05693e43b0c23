// A resource server with `@tessera-auth/server/verifier` `requireToken`, checking each
// token against Tessera's revocation list in Redis (one MGET per request).
// Same route and answer as jose-resource.mjs.
// Env: TESSERA_ISSUER, AUDIENCE, PORT, REDIS_URL, TESSERA_REDIS_PREFIX.
import express from 'express';
import { Redis } from 'ioredis';
import { requireToken } from '@tessera-auth/server/verifier';

const env = process.env;
const redis = new Redis(env.REDIS_URL, { maxRetriesPerRequest: 1 });
redis.on('error', (err) => process.stderr.write(`verifier-resource: ${err.message}\n`));
const auth = requireToken({
  issuer: env.TESSERA_ISSUER,
  audience: env.AUDIENCE,
  scopes: ['orders:read'],
  revocations: { redis, prefix: env.TESSERA_REDIS_PREFIX },
  onError: (err) => process.stderr.write(`verifier-resource: ${err instanceof Error ? err.message : String(err)}\n`),
});

const app = express();
app.disable('x-powered-by');
app.get('/orders', auth, (req, res) => res.json({ ok: true, sub: req.auth.sub }));

const server = app.listen(Number(env.PORT ?? 0), '127.0.0.1', () => {
  process.stdout.write(`listening on ${server.address().port}\n`);
});
process.on('SIGTERM', async () => {
  server.close();
  server.closeAllConnections();
  await auth.close();
  redis.disconnect();
  process.exit(0);
});
