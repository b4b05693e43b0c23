import request from 'supertest';
import { startHarness, type Harness, decodeJwt, ISSUER } from '../support/harness.js';

let h: Harness;
beforeAll(async () => { h = await startHarness(); });
afterAll(async () => { await h.stop(); });

test('the first admin gets a token with scope tessera:admin', async () => {
  const token = await h.adminToken();
  const { header, payload } = decodeJwt(token);
  expect(header.typ).toBe('at+jwt');
  expect(payload.iss).toBe(ISSUER);
  expect(payload.scope).toBe('tessera:admin');
  const res = await request(h.app).get('/admin/v1/clients').set('Authorization', `Bearer ${token}`);
  expect(res.status).toBe(200);
  // The first admin's client, and the console's built-in one (on by default).
  expect(res.body.items.map((c: { client_id: string }) => c.client_id).sort()).toEqual(['tessera-admin', 'tessera-console']);
});
