// A resource server with plain jose `jwtVerify` and a local public key (the
// issuer's JWKS fetched once at start and imported): the floor of what
// verifying a JWT costs, with no revocation check. Same route and answer as
// verifier-resource.mjs.  Env: TESSERA_ISSUER, AUDIENCE, PORT.
import express from 'express';
import { importJWK, jwtVerify } from 'jose';

const { TESSERA_ISSUER: issuer, AUDIENCE: audience } = process.env;
const jwks = await (await fetch(`${issuer}/.well-known/jwks.json`)).json();
const jwk = jwks.keys[0];
const key = await importJWK(jwk, jwk.alg);

const app = express();
app.disable('x-powered-by');
app.get('/orders', async (req, res) => {
  const m = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '');
  if (!m) return res.status(401).json({ error: 'invalid_token' });
  let payload;
  try {
    ({ payload } = await jwtVerify(m[1], key, { issuer, audience, typ: 'at+jwt', algorithms: [jwk.alg] }));
  } catch {
    return res.status(401).json({ error: 'invalid_token' });
  }
  if (!String(payload.scope ?? '').split(' ').includes('orders:read')) return res.status(403).json({ error: 'insufficient_scope' });
  res.json({ ok: true, sub: payload.sub });
});

const server = app.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  process.stdout.write(`listening on ${server.address().port}\n`);
});
process.on('SIGTERM', () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
});
