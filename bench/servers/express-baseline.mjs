// The bare Express 5 baseline: parses the same urlencoded form body as a
// token request and answers a fixed JSON, so its rate is what the framework
// itself allows on this machine (the ceiling for any Express server here).
// Prints `listening on <port>`; SIGTERM stops it.
import express from 'express';

const FIXED = { access_token: 'x'.repeat(400), token_type: 'Bearer', expires_in: 600, scope: 'orders:read' };
const JWKS = { keys: [{ kty: 'OKP', crv: 'Ed25519', x: 'A'.repeat(43), kid: 'baseline', alg: 'EdDSA', use: 'sig' }] };

const app = express();
app.disable('x-powered-by');
app.post('/oauth/token', express.urlencoded({ extended: false, limit: '16kb' }), (req, res) => {
  if (req.body?.grant_type !== 'client_credentials') return res.status(400).json({ error: 'unsupported_grant_type' });
  res.set('Cache-Control', 'no-store').json(FIXED);
});
app.get('/.well-known/jwks.json', (_req, res) => res.json(JWKS));

const server = app.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  process.stdout.write(`listening on ${server.address().port}\n`);
});
process.on('SIGTERM', () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
});
