/**
 * Every CLI command logs in as the admin client, and each login is a
 * `token.issued` event: the default `audit list` leaves those out, so that
 * what people did stays visible; --include-admin-logins (or asking for
 * token.issued) brings them back. The admin API filter under it:
 * exclude_admin_logins.
 */
import request from 'supertest';
import { startListeningHarness, ADMIN_SECRET, type Harness } from '../support/harness.js';
import { startCli } from '../support/cli.js';

let h: Harness & { url: string };
beforeAll(async () => { h = await startListeningHarness(); });
afterAll(async () => { await h.stop(); });

const cli = (args: string[]) => startCli(args, { TESSERA_URL: h.url, TESSERA_CLIENT_ID: 'tessera-admin', TESSERA_CLIENT_SECRET: ADMIN_SECRET }).done;
interface Event { type: string; actor: { id: string } | null; detail: { scope?: string } }
const isAdminLogin = (e: Event) => e.type === 'token.issued' && (e.detail.scope ?? '').split(' ').includes('tessera:admin');

test('the default audit list leaves out the CLI\'s own logins, and shows them when asked', async () => {
  const svc = await h.createClient({ client_id: 'audited-svc', scopes: ['orders:read'] });
  const issued = await request(h.app).post('/oauth/token').type('form').auth(svc.client_id, svc.client_secret).send('grant_type=client_credentials');
  expect(issued.status).toBe(200);
  for (let i = 0; i < 3; i++) expect((await cli(['clients', 'list'])).code).toBe(0);
  await h.flushAudit();

  const list = async (args: string[]) => {
    const r = await cli(['audit', 'list', '--limit', '200', '--json', ...args]);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    return (JSON.parse(r.stdout) as { items: Event[] }).items;
  };
  const plain = await list([]);
  expect(plain.filter(isAdminLogin)).toEqual([]);
  // What someone did is still there: the service's own token, the client created.
  expect(plain.map((e) => `${e.type} ${e.actor?.id}`)).toEqual(expect.arrayContaining(['token.issued audited-svc', 'client.created tessera-admin']));

  // Asked for: the logins of the three commands above, and of the ones listing.
  expect((await list(['--include-admin-logins'])).filter(isAdminLogin).length).toBeGreaterThanOrEqual(4);
  expect((await list(['--type', 'token.issued'])).filter(isAdminLogin).length).toBeGreaterThanOrEqual(4);

  const table = await cli(['audit', 'list']);
  expect(table.stdout).not.toMatch(/ token\.issued +client tessera-admin /);
  expect(table.stdout).toMatch(/ client\.created +client tessera-admin /);
});

test('the admin API: exclude_admin_logins=true leaves them out; anything but true or false is 400', async () => {
  const admin = `Bearer ${await h.adminToken()}`;
  await h.flushAudit();
  const all = await request(h.app).get('/admin/v1/audit?limit=200').set('Authorization', admin);
  expect((all.body.items as Event[]).some(isAdminLogin)).toBe(true);
  const without = await request(h.app).get('/admin/v1/audit?limit=200&exclude_admin_logins=true').set('Authorization', admin);
  expect(without.status).toBe(200);
  expect((without.body.items as Event[]).some(isAdminLogin)).toBe(false);
  expect((without.body.items as Event[]).length).toBeGreaterThan(0);
  const bad = await request(h.app).get('/admin/v1/audit?exclude_admin_logins=yes').set('Authorization', admin);
  expect(bad.status).toBe(400);
  expect(bad.body).toEqual({ error: 'invalid_request', error_description: 'exclude_admin_logins: must be true or false (each parameter given once)' });
});
