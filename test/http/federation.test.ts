/**
 * Federated workload identity: the JWT bearer grant (RFC 7523 §2.1) under
 * trust policies, against issuers the test runs on loopback, with tokens
 * shaped like a GitHub Actions OIDC token and a Kubernetes projected
 * service-account token. No client secret anywhere.
 */
import request from 'supertest';
import { decodeJwt, ISSUER, startHarness, type Harness } from '../support/harness.js';
import { startLocalIssuer, type LocalIssuer } from '../support/local-issuer.js';
import { clientKey, jwksOf } from '../support/client-keys.js';
import { dpopKey, proof } from '../support/dpop.js';

const GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

/** The claims GitHub Actions puts in its OIDC token (docs.github.com, "About security hardening with OpenID Connect"). */
function githubClaims(over: Record<string, unknown> = {}) {
  const repository = (over.repository as string | undefined) ?? 'acme/deploy';
  const ref = (over.ref as string | undefined) ?? 'refs/heads/main';
  return {
    aud: ISSUER, sub: `repo:${repository}:ref:${ref}`, repository, repository_owner: repository.split('/')[0], repository_id: '123456',
    ref, ref_type: 'branch', sha: 'a'.repeat(40), workflow: 'deploy', job_workflow_ref: `${repository}/.github/workflows/deploy.yml@${ref}`,
    event_name: 'push', run_id: '987654321', run_attempt: '1', actor: 'octocat', environment: 'production',
    ...over,
  };
}

/** A Kubernetes projected service-account token's claims (KEP-1205, with jti since 1.29). */
function kubernetesClaims(ns: string, sa: string, over: Record<string, unknown> = {}) {
  return {
    aud: ['https://tessera.internal'], sub: `system:serviceaccount:${ns}:${sa}`,
    'kubernetes.io': { namespace: ns, serviceaccount: { name: sa, uid: 'c0ffee' }, pod: { name: `${sa}-7d9f`, uid: 'beef' } },
    ...over,
  };
}

let h: Harness;
let github: LocalIssuer;
let cluster: LocalIssuer;
let admin: string;

beforeAll(async () => {
  h = await startHarness({ redis: true });
  github = await startLocalIssuer();
  cluster = await startLocalIssuer();
  admin = `Bearer ${await h.adminToken()}`;
  const create = async (path: string, body: Record<string, unknown>) => {
    const res = await request(h.app).post(path).set('Authorization', admin).send(body);
    if (res.status !== 201) throw new Error(`${path}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  };
  await create('/admin/v1/clients', { client_id: 'ci-deployer', grant_types: [GRANT], scopes: ['deploy:write', 'deploy:read', 'admin:all'], audiences: ['https://deploy.example.com'] });
  await create('/admin/v1/clients', { client_id: 'orders-workload', grant_types: [GRANT], scopes: ['orders:read'] });
  // GitHub Actions: keys found by OpenID discovery at the issuer.
  await create('/admin/v1/trust-policies', {
    id: 'gha-deploy-main', issuer: github.url, audiences: [ISSUER],
    conditions: { repository: 'acme/deploy', ref: 'refs/heads/main' },
    client_id: 'ci-deployer', subject: 'github:{repository}@{ref}', scopes: ['deploy:write', 'deploy:read'], max_token_lifetime: 900,
  });
  // Release branches of the same repository may only read.
  await create('/admin/v1/trust-policies', {
    id: 'gha-deploy-release', issuer: github.url, audiences: [ISSUER],
    conditions: { repository: 'acme/deploy', ref: 'refs/heads/release/*' },
    client_id: 'ci-deployer', subject: 'github:{repository}@{ref}', scopes: ['deploy:read'], max_token_lifetime: 900,
  });
  // Kubernetes: the cluster's keys given by jwks_uri.
  await create('/admin/v1/trust-policies', {
    id: 'k8s-orders', issuer: cluster.url, jwks_uri: cluster.jwksUri, audiences: ['https://tessera.internal'],
    conditions: { sub: ['system:serviceaccount:orders:api', 'system:serviceaccount:orders:worker'] },
    client_id: 'orders-workload', scopes: ['orders:read'],
  });
});
afterAll(async () => {
  await h.stop();
  await github.close();
  await cluster.close();
});

const exchange = (assertion: string, extra: Record<string, string> = {}) =>
  request(h.app).post('/oauth/token').type('form').send({ grant_type: GRANT, assertion, ...extra });
const refusal = (description = 'the assertion matches no trust policy') => ({ error: 'invalid_grant', error_description: description });

describe('a GitHub-Actions-shaped token', () => {
  test('from the allowed repository and branch gets a token with the mapped client, subject and scopes', async () => {
    const res = await exchange(await github.token(githubClaims()));
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body).toEqual({ access_token: expect.any(String), token_type: 'Bearer', expires_in: 600, scope: 'deploy:write deploy:read' });
    expect(res.body.refresh_token).toBeUndefined();
    const claims = decodeJwt(res.body.access_token).payload;
    expect(claims).toMatchObject({ iss: ISSUER, sub: 'github:acme/deploy@refs/heads/main', client_id: 'ci-deployer', aud: 'https://deploy.example.com', scope: 'deploy:write deploy:read' });
    const event = h.audit.events.find((e) => e.type === 'federation.token_exchanged' && e.token_id === claims.jti);
    expect(event).toMatchObject({ client_id: 'ci-deployer', subject: 'github:acme/deploy@refs/heads/main', detail: { trust_policy: 'gha-deploy-main', external: { iss: github.url, sub: 'repo:acme/deploy:ref:refs/heads/main' } } });
    expect(JSON.stringify(event)).not.toContain('eyJ');
  });

  test('a narrower scope may be asked for; a wider one is invalid_scope', async () => {
    const narrow = await exchange(await github.token(githubClaims()), { scope: 'deploy:read' });
    expect(narrow.body.scope).toBe('deploy:read');
    const wide = await exchange(await github.token(githubClaims()), { scope: 'admin:all' });
    expect(wide.status).toBe(400);
    expect(wide.body).toEqual({ error: 'invalid_scope', error_description: 'scope not granted by the trust policy: admin:all' });
  });

  test('a release branch matches the wildcard policy and gets only its scopes', async () => {
    const res = await exchange(await github.token(githubClaims({ ref: 'refs/heads/release/2.4' })));
    expect(res.status).toBe(200);
    expect(res.body.scope).toBe('deploy:read');
    expect(decodeJwt(res.body.access_token).payload.sub).toBe('github:acme/deploy@refs/heads/release/2.4');
  });

  test.each([
    ['another repository', githubClaims({ repository: 'evil/deploy' })],
    ['a fork-like name', githubClaims({ repository: 'acme/deploy-fork' })],
    ['another branch', githubClaims({ ref: 'refs/heads/feature' })],
    ['a tag', githubClaims({ ref: 'refs/tags/v1' })],
  ])('from %s is refused with invalid_grant', async (_what, claims) => {
    const res = await exchange(await github.token(claims));
    expect(res.status).toBe(400);
    expect(res.body).toEqual(refusal());
    expect([...h.audit.events].reverse().find((e) => e.type === 'federation.assertion_refused')?.detail).toMatchObject({ reason: 'conditions' });
  });

  test('an expired one is refused', async () => {
    const res = await exchange(await github.token(githubClaims(), { iat: Math.floor(Date.now() / 1000) - 900, lifetime: 300 }));
    expect(res.status).toBe(400);
    expect(res.body).toEqual(refusal('the assertion has expired'));
  });

  test('one with a wrong audience is refused', async () => {
    const res = await exchange(await github.token(githubClaims({ aud: 'https://github.com/acme' })));
    expect(res.status).toBe(400);
    expect(res.body).toEqual(refusal("the assertion's aud is not one its trust policy accepts"));
  });

  test('a replay is refused: the same token twice, even from elsewhere', async () => {
    const t = await github.token(githubClaims());
    expect((await exchange(t)).status).toBe(200);
    const again = await exchange(t);
    expect(again.status).toBe(400);
    expect(again.body).toEqual(refusal('the assertion was used already'));
  });

  test('one that lives longer than the policy allows is refused', async () => {
    const res = await exchange(await github.token(githubClaims(), { lifetime: 3600 }));
    expect(res.status).toBe(400);
    expect(res.body).toEqual(refusal('the assertion lives longer than its trust policy accepts'));
  });

  test('one signed by another key, or with a forged issuer, is refused', async () => {
    const stranger = await clientKey('RS256', github.key.kid);
    const forged = await exchange(await github.token(githubClaims(), { key: stranger }));
    expect(forged.status).toBe(400);
    expect(forged.body).toEqual(refusal("the assertion's signature is not valid"));
    const unknownIssuer = await exchange(await github.token(githubClaims({ iss: 'https://token.actions.githubusercontent.com' })));
    expect(unknownIssuer.body).toEqual(refusal());
  });

  test('a refused request does not use the token up: after a refused wider scope, the same token still works', async () => {
    const t = await github.token(githubClaims());
    expect((await exchange(t, { scope: 'admin:all' })).status).toBe(400);
    expect((await exchange(t)).status).toBe(200);
  });

  test('with a DPoP proof the token is bound to the workload\'s key', async () => {
    const key = await dpopKey();
    const res = await exchange(await github.token(githubClaims())).set('DPoP', await proof(key, { htm: 'POST', htu: `${ISSUER}/oauth/token` }));
    expect(res.status).toBe(200);
    expect(res.body.token_type).toBe('DPoP');
    expect(decodeJwt(res.body.access_token).payload.cnf).toEqual({ jkt: key.jkt });
  });

  test('a client_id that is not the policy\'s client is refused; the right one is accepted', async () => {
    expect((await exchange(await github.token(githubClaims()), { client_id: 'orders-workload' })).body)
      .toEqual(refusal("the assertion's trust policy is for another client"));
    expect((await exchange(await github.token(githubClaims()), { client_id: 'ci-deployer' })).status).toBe(200);
  });
});

describe('a Kubernetes-service-account-shaped token', () => {
  test('of an allowed service account gets a token; its sub is the service account', async () => {
    const res = await exchange(await cluster.token(kubernetesClaims('orders', 'worker')));
    expect(res.status).toBe(200);
    expect(decodeJwt(res.body.access_token).payload).toMatchObject({ sub: 'system:serviceaccount:orders:worker', client_id: 'orders-workload', scope: 'orders:read', aud: ISSUER });
  });

  test('of another namespace or account is refused; a token without jti is accepted once (its hash is remembered)', async () => {
    expect((await exchange(await cluster.token(kubernetesClaims('payments', 'api')))).body).toEqual(refusal());
    const noJti = await cluster.token(kubernetesClaims('orders', 'api'), { jti: null });
    expect((await exchange(noJti)).status).toBe(200);
    expect((await exchange(noJti)).body).toEqual(refusal('the assertion was used already'));
  });
});

describe('the grant\'s request', () => {
  test('without assertion is invalid_request; a non-JWT is invalid_grant', async () => {
    const none = await request(h.app).post('/oauth/token').type('form').send({ grant_type: GRANT });
    expect(none.status).toBe(400);
    expect(none.body).toEqual({ error: 'invalid_request', error_description: 'assertion is required' });
    expect((await exchange('not-a-jwt')).body).toEqual(refusal('the assertion is not a JWT'));
  });

  test('a client that authenticates itself uses only its own policies', async () => {
    const svc = await h.createClient({ client_id: 'other-ci', grant_types: [GRANT], scopes: ['deploy:read'] });
    const res = await request(h.app).post('/oauth/token').auth(svc.client_id, svc.client_secret).type('form')
      .send({ grant_type: GRANT, assertion: await github.token(githubClaims()) });
    expect(res.status).toBe(400);
    expect(res.body).toEqual(refusal("the assertion's trust policy is for another client"));
  });

  test('metadata lists the grant', async () => {
    const meta = await request(h.app).get('/.well-known/oauth-authorization-server');
    expect(meta.body.grant_types_supported).toContain(GRANT);
  });
});

describe('issuers whose keys are given inline, and issuers that are down', () => {
  test('inline jwks work without any fetch', async () => {
    const offline = await clientKey('ES256');
    const res = await request(h.app).post('/admin/v1/trust-policies').set('Authorization', admin).send({
      id: 'offline-cluster', issuer: 'https://kubernetes.default.svc.cluster.local', jwks: jwksOf(offline), audiences: ['tessera'],
      conditions: { sub: 'system:serviceaccount:batch:*' }, client_id: 'orders-workload', scopes: ['orders:read'],
    });
    expect(res.status).toBe(201);
    const { SignJWT } = await import('jose');
    const now = Math.floor(Date.now() / 1000);
    const t = await new SignJWT({ iss: 'https://kubernetes.default.svc.cluster.local', sub: 'system:serviceaccount:batch:nightly', aud: ['tessera'], iat: now, exp: now + 600, jti: 'k-1' })
      .setProtectedHeader({ alg: 'ES256', kid: offline.kid }).sign(offline.privateKey);
    const ok = await exchange(t);
    expect(ok.status).toBe(200);
    expect(decodeJwt(ok.body.access_token).payload.sub).toBe('system:serviceaccount:batch:nightly');
  });

  test('keys that cannot be fetched are 503 temporarily_unavailable, not a refusal', async () => {
    const down = await startLocalIssuer();
    await request(h.app).post('/admin/v1/trust-policies').set('Authorization', admin).send({
      id: 'down', issuer: down.url, audiences: [ISSUER], conditions: { sub: 'x' }, client_id: 'orders-workload', scopes: [],
    }).expect(201);
    down.misbehave({ status: 500 });
    const res = await exchange(await down.token({ sub: 'x', aud: ISSUER }));
    expect(res.status).toBe(503);
    expect(res.body).toEqual({ error: 'temporarily_unavailable', error_description: "the issuer's keys could not be fetched; retry shortly" });
    await down.close();
  });
});

describe('refused assertions count against the address', () => {
  let limited: Harness;
  let gh: LocalIssuer;
  beforeAll(async () => {
    limited = await startHarness({ env: { TESSERA_RATE_LIMIT_AUTH_FAILURES: '3/60' } });
    gh = await startLocalIssuer();
    await limited.ctx.clients.create({ client_id: 'ci', grant_types: [GRANT], scopes: ['deploy'] });
    await limited.ctx.trustPolicies.create({ id: 'p', issuer: gh.url, audiences: [ISSUER], conditions: { repository: ['acme/app'] }, client_id: 'ci', scopes: ['deploy'] });
  });
  afterAll(async () => {
    await limited.stop();
    await gh.close();
  });

  test('three refusals spend the allowance; then a good token gets 429', async () => {
    const send = (t: string) => request(limited.app).post('/oauth/token').type('form').send({ grant_type: GRANT, assertion: t });
    for (let i = 0; i < 3; i++) expect((await send(await gh.token({ sub: 's', aud: ISSUER, repository: 'evil/app' }))).status).toBe(400);
    const good = await send(await gh.token({ sub: 's', aud: ISSUER, repository: 'acme/app' }));
    expect(good.status).toBe(429);
  });
});
