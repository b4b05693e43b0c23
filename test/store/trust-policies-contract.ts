/** Trust policies: behaviour every Store must have (memory and a real Redis). */
import type { Store, TrustPolicyRecord } from '../../src/store/store.js';

export function samplePolicy(id: string, overrides: Partial<TrustPolicyRecord> = {}): TrustPolicyRecord {
  return {
    id,
    description: `Policy ${id}`,
    issuer: 'https://token.actions.githubusercontent.com',
    jwks_uri: null,
    jwks: null,
    audiences: ['https://auth.example.com'],
    conditions: { repository: ['acme/deploy'], ref: ['refs/heads/main'] },
    client_id: 'ci',
    subject: '{sub}',
    scopes: ['deploy:write'],
    max_token_lifetime: 3600,
    created_at: '2024-01-01T00:00:00.000Z',
    updated_at: '2024-01-01T00:00:00.000Z',
    ...overrides,
  };
}

export function describeTrustPoliciesContract<S extends Store>(name: string, makeStore: () => Promise<S>, cleanup?: (s: S) => Promise<void>): void {
  describe(`Trust policies contract: ${name}`, () => {
    let store: S;
    beforeEach(async () => { store = await makeStore(); });
    afterEach(async () => { await cleanup?.(store); await store.close(); });

    test('creates a policy and gets it back, inline keys included', async () => {
      const policy = samplePolicy('gha', { jwks: { keys: [{ kty: 'OKP', crv: 'Ed25519', x: 'abc', kid: 'k1' }] } });
      await expect(store.trustPolicies.create(policy)).resolves.toBe(true);
      await expect(store.trustPolicies.get('gha')).resolves.toEqual(policy);
      await expect(store.trustPolicies.get('nope')).resolves.toBeNull();
    });

    test('refuses an id that is taken and keeps the first policy', async () => {
      await store.trustPolicies.create(samplePolicy('dup', { description: 'first' }));
      await expect(store.trustPolicies.create(samplePolicy('dup', { description: 'second' }))).resolves.toBe(false);
      await expect(store.trustPolicies.get('dup')).resolves.toMatchObject({ description: 'first' });
    });

    test('replaces an existing policy, never a missing or deleted one', async () => {
      await store.trustPolicies.create(samplePolicy('p'));
      const changed = samplePolicy('p', { scopes: ['a', 'b'], updated_at: '2024-02-01T00:00:00.000Z' });
      await expect(store.trustPolicies.replace(changed)).resolves.toBe(true);
      await expect(store.trustPolicies.get('p')).resolves.toEqual(changed);
      await expect(store.trustPolicies.replace(samplePolicy('ghost'))).resolves.toBe(false);
      await expect(store.trustPolicies.get('ghost')).resolves.toBeNull();
      await store.trustPolicies.delete('p');
      await expect(store.trustPolicies.replace(changed)).resolves.toBe(false);
      await expect(store.trustPolicies.list({ limit: 10 })).resolves.toEqual({ items: [], next_cursor: null });
    });

    test('lists in id order, a page at a time', async () => {
      for (const id of ['c', 'a', 'e', 'b', 'd']) await store.trustPolicies.create(samplePolicy(id));
      const first = await store.trustPolicies.list({ limit: 2 });
      expect(first.items.map((p) => p.id)).toEqual(['a', 'b']);
      const second = await store.trustPolicies.list({ limit: 2, cursor: first.next_cursor! });
      expect(second.items.map((p) => p.id)).toEqual(['c', 'd']);
      const last = await store.trustPolicies.list({ limit: 2, cursor: second.next_cursor! });
      expect(last).toEqual({ items: [samplePolicy('e')], next_cursor: null });
    });

    test("finds an issuer's policies, in id order, and no other issuer's", async () => {
      const k8s = 'https://kubernetes.default.svc.cluster.local';
      await store.trustPolicies.create(samplePolicy('gha-b'));
      await store.trustPolicies.create(samplePolicy('k8s', { issuer: k8s, conditions: { sub: ['system:serviceaccount:prod:api'] } }));
      await store.trustPolicies.create(samplePolicy('gha-a'));
      expect((await store.trustPolicies.listByIssuer('https://token.actions.githubusercontent.com')).map((p) => p.id)).toEqual(['gha-a', 'gha-b']);
      expect(await store.trustPolicies.listByIssuer(k8s)).toEqual([samplePolicy('k8s', { issuer: k8s, conditions: { sub: ['system:serviceaccount:prod:api'] } })]);
      expect(await store.trustPolicies.listByIssuer('https://token.actions.githubusercontent.com/')).toEqual([]);
    });

    test('a deleted policy is gone from get, list and its issuer', async () => {
      await store.trustPolicies.create(samplePolicy('gone'));
      await expect(store.trustPolicies.delete('gone')).resolves.toBe(true);
      await expect(store.trustPolicies.delete('gone')).resolves.toBe(false);
      await expect(store.trustPolicies.get('gone')).resolves.toBeNull();
      await expect(store.trustPolicies.listByIssuer(samplePolicy('gone').issuer)).resolves.toEqual([]);
      // Created again under the same id, it is found again.
      await store.trustPolicies.create(samplePolicy('gone'));
      expect((await store.trustPolicies.listByIssuer(samplePolicy('gone').issuer)).map((p) => p.id)).toEqual(['gone']);
    });

    test('answers copies: changing what was returned changes nothing stored', async () => {
      await store.trustPolicies.create(samplePolicy('copy'));
      const got = (await store.trustPolicies.get('copy'))!;
      got.scopes.push('extra');
      got.conditions.repository!.push('evil/repo');
      await expect(store.trustPolicies.get('copy')).resolves.toEqual(samplePolicy('copy'));
    });
  });
}
