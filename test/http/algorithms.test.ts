import request from 'supertest';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { SIGNING_ALGS } from '../../src/core/keys/types.js';
import { startHarness, ISSUER, decodeJwt } from '../support/harness.js';

describe.each(SIGNING_ALGS)('with TESSERA_SIGNING_ALG=%s', (alg) => {
  test('tokens are signed with it, verify against the JWKS and introspect as active', async () => {
    const h = await startHarness({ env: { TESSERA_SIGNING_ALG: alg } });
    try {
      const c = await h.createClient({ scopes: ['x'] });
      const tok = await h.clientToken(c.client_id, c.client_secret);
      expect(decodeJwt(tok).header.alg).toBe(alg);
      const jwks = (await request(h.app).get('/.well-known/jwks.json')).body;
      for (const k of jwks.keys) expect(k.alg).toBe(alg);
      await expect(jwtVerify(tok, createLocalJWKSet(jwks), { issuer: ISSUER, typ: 'at+jwt', algorithms: [alg] })).resolves.toBeDefined();
      const res = await request(h.app).post('/oauth/introspect').auth(c.client_id, c.client_secret).type('form').send({ token: tok });
      expect(res.body.active).toBe(true);
    } finally {
      await h.stop();
    }
  });
});
