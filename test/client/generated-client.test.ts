/**
 * The generated, typed client (`@tessera-auth/server/client`) used the way an outside app
 * uses it: imported by package name, pointed at a listening Tessera, walking
 * the admin API with typed calls while it gets and renews its own bearer
 * token.
 */
import type { TesseraClient } from '@tessera-auth/server/client';
import { ensureBuilt } from '../support/build.js';
import { startListeningHarness, ADMIN_SECRET, type Harness } from '../support/harness.js';

type Listening = Harness & { url: string };
let lib: typeof import('@tessera-auth/server/client');
let h: Listening;

beforeAll(async () => {
  // The package export points at dist/: build it when it is missing or older than src/.
  await ensureBuilt('dist/client/tessera-client.js');
  lib = await import('@tessera-auth/server/client');
  h = await startListeningHarness();
}, 120_000);
afterAll(async () => { await h?.stop(); });

/** A fetch that records what the typed client sends, so tests can count token requests. */
function recordingFetch() {
  const seen: { path: string; authorization: string | null }[] = [];
  const wrapped: typeof fetch = (input, init) => {
    const req = input instanceof Request ? input : new Request(input);
    seen.push({ path: new URL(req.url).pathname, authorization: req.headers.get('authorization') });
    return fetch(input, init);
  };
  return { seen, fetch: wrapped, tokenRequests: () => seen.filter((s) => s.path === '/oauth/token').length };
}

const adminClient = (target: Listening, f?: typeof fetch): TesseraClient =>
  lib.createTesseraClient({ url: target.url, clientId: 'tessera-admin', clientSecret: ADMIN_SECRET, ...(f ? { fetch: f } : {}) });

/** The status of a client_credentials request, as any OAuth client would send it. */
async function tokenStatus(clientId: string, secret: string): Promise<{ status: number; error?: string }> {
  const res = await fetch(`${h.url}/oauth/token`, {
    method: 'POST',
    headers: { Authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}`, 'Content-Type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=client_credentials',
  });
  const body = (await res.json()) as { error?: string };
  return { status: res.status, ...(body.error ? { error: body.error } : {}) };
}

// The generated request type makes fields with a schema default required (openapi-typescript's defaultNonNullable).
const clientDefaults = { public: false, third_party: false, always_issue_refresh_token: false } as const;

describe('clients through the typed client', () => {
  test('create shows the secret once; list pages with limit and cursor; get, update, rotate, delete', async () => {
    const api = adminClient(h);
    const created: string[] = [];
    for (const id of ['walk-a', 'walk-b', 'walk-c']) {
      const { data, response } = await api.POST('/admin/v1/clients', { body: { ...clientDefaults, client_id: id, name: `Walk ${id}`, scopes: ['orders:read'] } });
      expect(response.status).toBe(201);
      expect(response.headers.get('location')).toBe(`/admin/v1/clients/${id}`);
      expect(data!.client_id).toBe(id);
      expect('client_secret' in data! && data.client_secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
      created.push(id);
    }

    const got = await api.GET('/admin/v1/clients/{client_id}', { params: { path: { client_id: 'walk-a' } } });
    expect(got.response.status).toBe(200);
    expect(got.data).toMatchObject({ client_id: 'walk-a', name: 'Walk walk-a', scopes: ['orders:read'], public: false });
    expect(got.data && 'client_secret' in got.data).toBe(false);

    const pages: string[][] = [];
    let cursor: string | undefined;
    do {
      const { data, response } = await api.GET('/admin/v1/clients', { params: { query: { limit: 2, ...(cursor ? { cursor } : {}) } } });
      expect(response.status).toBe(200);
      pages.push(data!.items.map((c) => c.client_id));
      cursor = data!.next_cursor ?? undefined;
    } while (cursor);
    // Besides the ones created here: the first admin client and the console's built-in client.
    expect(pages.every((p) => p.length >= 1 && p.length <= 2)).toBe(true);
    expect(pages.flat().sort()).toEqual(['tessera-admin', 'tessera-console', ...created].sort());

    const updated = await api.PATCH('/admin/v1/clients/{client_id}', { params: { path: { client_id: 'walk-a' } }, body: { name: 'Renamed', scopes: ['orders:read', 'orders:write'] } });
    expect(updated.response.status).toBe(200);
    expect(updated.data).toMatchObject({ client_id: 'walk-a', name: 'Renamed', scopes: ['orders:read', 'orders:write'] });

    const before = await api.POST('/admin/v1/clients', { body: { ...clientDefaults, client_id: 'walk-rotate' } });
    const oldSecret = (before.data as { client_secret: string }).client_secret;
    expect(await tokenStatus('walk-rotate', oldSecret)).toEqual({ status: 200 });
    const rotated = await api.POST('/admin/v1/clients/{client_id}/secret', { params: { path: { client_id: 'walk-rotate' } } });
    expect(rotated.response.status).toBe(200);
    expect(rotated.data!.client_secret).not.toBe(oldSecret);
    expect(await tokenStatus('walk-rotate', oldSecret)).toEqual({ status: 401, error: 'invalid_client' });
    expect(await tokenStatus('walk-rotate', rotated.data!.client_secret)).toEqual({ status: 200 });

    const deleted = await api.DELETE('/admin/v1/clients/{client_id}', { params: { path: { client_id: 'walk-c' } } });
    expect(deleted.response.status).toBe(204);
    const gone = await api.GET('/admin/v1/clients/{client_id}', { params: { path: { client_id: 'walk-c' } } });
    expect(gone.response.status).toBe(404);
    expect(gone.data).toBeUndefined();
    expect(gone.error).toEqual({ error: 'not_found', error_description: 'client walk-c does not exist' });
  });
});

describe('users, API tokens, keys and the audit log through the typed client', () => {
  test('a user gets an API token, which is rotated and revoked; the audit log filtered by its id tells the story', async () => {
    const api = adminClient(h);
    const role = await api.PUT('/admin/v1/roles/{role}', { params: { path: { role: 'reader' } }, body: { scopes: ['orders:read'] } });
    expect([200, 201]).toContain(role.response.status);

    const user = await api.POST('/admin/v1/users', { body: { username: 'alice', password: 'alice-password-123', roles: ['reader'] } });
    expect(user.response.status).toBe(201);
    expect(user.data).toMatchObject({ username: 'alice', roles: ['reader'], disabled: false });
    const userId = user.data!.id;

    const made = await api.POST('/admin/v1/api-tokens', { body: { user: userId, name: 'ci', scopes: ['orders:read'], expires_in: 3600 } });
    expect(made.response.status).toBe(201);
    expect(made.data).toMatchObject({ user: userId, name: 'ci', scopes: ['orders:read'], status: 'active', created_by: { type: 'client', id: 'tessera-admin' } });
    expect(made.data!.token).toMatch(/^tsp_[0-9A-Za-z]{38}$/);
    const tokenId = made.data!.id;

    const rotated = await api.POST('/admin/v1/api-tokens/{token_id}/rotate', { params: { path: { token_id: tokenId } } });
    expect(rotated.response.status).toBe(200);
    expect(rotated.data!.id).toBe(tokenId);
    expect(rotated.data!.token).toMatch(/^tsp_/);
    expect(rotated.data!.token).not.toBe(made.data!.token);

    const revoked = await api.DELETE('/admin/v1/api-tokens/{token_id}', { params: { path: { token_id: tokenId }, query: { reason: 'left the team' } } });
    expect(revoked.response.status).toBe(200);
    expect(revoked.data).toMatchObject({ id: tokenId, status: 'revoked', revocation_reason: 'left the team', revoked_by: { type: 'client', id: 'tessera-admin' } });
    expect(revoked.data!.revoked_at).toEqual(expect.any(String));

    const listed = await api.GET('/admin/v1/api-tokens', { params: { query: { user: 'alice' } } });
    expect(listed.data!.items.map((t) => [t.id, t.status])).toEqual([[tokenId, 'revoked']]);

    const keys = await api.GET('/admin/v1/keys');
    expect(keys.response.status).toBe(200);
    expect(keys.data!.items.map((k) => k.state).sort()).toEqual(['active', 'next']);
    expect(keys.data!.items.every((k) => k.alg === h.config.signingAlg && k.published)).toBe(true);

    await h.flushAudit();
    const audit = await api.GET('/admin/v1/audit', { params: { query: { token_id: tokenId, order: 'asc' } } });
    expect(audit.response.status).toBe(200);
    expect(audit.data!.items.map((e) => e.type)).toEqual(['api_token.created', 'api_token.rotated', 'api_token.revoked']);
    expect(audit.data!.items.every((e) => e.token_id === tokenId && e.actor?.id === 'tessera-admin')).toBe(true);
    expect(JSON.stringify(audit.data)).not.toContain(made.data!.token);
  });
});

describe('the bearer token the client gets for itself', () => {
  test('a wrong secret is a TokenRequestError with invalid_client, and no admin call is made', async () => {
    const rec = recordingFetch();
    const api = lib.createTesseraClient({ url: h.url, clientId: 'tessera-admin', clientSecret: 'not-the-secret', fetch: rec.fetch });
    const call = api.GET('/admin/v1/keys');
    await expect(call).rejects.toBeInstanceOf(lib.TokenRequestError);
    await expect(call).rejects.toMatchObject({ name: 'TokenRequestError', error: 'invalid_client' });
    expect(rec.seen.map((s) => s.path)).toEqual(['/oauth/token']);
  });

  test('concurrent calls share one token request, and later calls reuse the token', async () => {
    const rec = recordingFetch();
    const api = adminClient(h, rec.fetch);
    const answers = await Promise.all([api.GET('/admin/v1/clients'), api.GET('/admin/v1/users'), api.GET('/admin/v1/keys'), api.GET('/admin/v1/roles')]);
    expect(answers.map((a) => a.response.status)).toEqual([200, 200, 200, 200]);
    expect(await api.GET('/admin/v1/keys').then((a) => a.response.status)).toBe(200);
    expect(rec.tokenRequests()).toBe(1);
    const bearers = new Set(rec.seen.filter((s) => s.path !== '/oauth/token').map((s) => s.authorization));
    expect(bearers.size).toBe(1);
    expect([...bearers][0]).toMatch(/^Bearer eyJ/);
  });

  test('the token is renewed before it expires', async () => {
    // A 2 s TTL: the client renews after half of it, so the second call needs a new token.
    const short = await startListeningHarness({ env: { TESSERA_ACCESS_TOKEN_TTL: '2' } });
    try {
      const rec = recordingFetch();
      const api = adminClient(short, rec.fetch);
      // iat counts whole seconds: a token issued late in one lives as little as 1 s.
      // Issued at the start of one, it has its whole 2 s, whatever a slow machine takes between calls.
      await new Promise((r) => setTimeout(r, 1000 - (Date.now() % 1000)));
      expect((await api.GET('/admin/v1/keys')).response.status).toBe(200);
      expect(rec.tokenRequests()).toBe(1);
      await new Promise((r) => setTimeout(r, 1_200));
      expect((await api.GET('/admin/v1/keys')).response.status).toBe(200);
      expect(rec.tokenRequests()).toBe(2);
      const bearers = rec.seen.filter((s) => s.path === '/admin/v1/keys').map((s) => s.authorization);
      expect(bearers).toHaveLength(2);
      expect(bearers[0]).not.toBe(bearers[1]);
    } finally {
      await short.stop();
    }
  });
});
