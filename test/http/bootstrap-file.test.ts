/** TESSERA_CONFIG: roles, users and clients are applied at every start, idempotently, never deleted. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { loadConfig } from '../../src/config/config.js';
import { createTessera } from '../../src/server.js';
import { MemoryStore } from '../../src/store/memory-store.js';

test('the contract example file is applied, and applying it again changes nothing that matters', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'tessera-boot-'));
  const file = path.join(dir, 'tessera.json');
  await writeFile(file, JSON.stringify({
    roles: { reader: ['orders:read'], admin: ['orders:read', 'orders:write', 'tessera:admin'] },
    users: [{ username: 'alice', password: 'alice-password', roles: ['reader'] }],
    clients: [
      { client_id: 'billing-service', client_secret: 'billing-secret-0123456789', grant_types: ['client_credentials'], scopes: ['orders:read'], audiences: ['https://api.example.com'] },
      { client_id: 'web-app', public: true, redirect_uris: ['http://localhost:5173/cb'], grant_types: ['authorization_code', 'refresh_token'], scopes: ['orders:read', 'offline_access'] },
    ],
  }));
  const store = new MemoryStore();
  const config = loadConfig({ TESSERA_CONFIG: file, TESSERA_KEYS_DIR: path.join(dir, 'keys'), TESSERA_KEYS_POLL_INTERVAL: '0' });
  const logger = pino({ level: 'silent' });
  try {
    const first = await createTessera(config, { issuer: 'http://t.test', logger, store });
    const alice = await store.users.getByUsername('alice');
    expect(alice).toMatchObject({ roles: ['reader'], disabled: false });
    expect(await first.ctx.users.scopesOf(alice!)).toEqual(['orders:read']);
    expect((await store.roles.list()).map((r) => r.name)).toEqual(['admin', 'reader']);
    const billing = await store.clients.get('billing-service');
    expect(billing!.secret_hash).toMatch(/^scrypt:/);
    // No client in the file holds tessera:admin, so the first admin was created too.
    expect(await store.clients.get('tessera-admin')).not.toBeNull();
    first.ctx.keys.close();

    const second = await createTessera(config, { issuer: 'http://t.test', logger, store });
    expect((await store.users.getByUsername('alice'))!.id).toBe(alice!.id);
    expect((await store.clients.get('billing-service'))!.secret_hash).toBe(billing!.secret_hash);
    expect((await store.users.list({ limit: 10 })).items).toHaveLength(1);
    await second.ctx.users.scopesOf(alice!);
    second.ctx.keys.close();
  } finally {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test('trust policies and private_key_jwt clients come from the file too; a policy that cannot hold stops the start naming it', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'tessera-boot-'));
  const file = path.join(dir, 'tessera.json');
  const jwks = { keys: [{ kty: 'OKP', crv: 'Ed25519', x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo', kid: 'ci-1' }] };
  const policy = {
    id: 'gha-deploy', issuer: 'https://token.actions.githubusercontent.com', audiences: ['https://auth.example.com'],
    conditions: { repository: 'acme/deploy', ref: 'refs/heads/main' }, client_id: 'deployer', subject: 'github:{repository}', scopes: ['deploy'],
  };
  const write = (policies: unknown[]) => writeFile(file, JSON.stringify({
    clients: [
      { client_id: 'deployer', grant_types: ['urn:ietf:params:oauth:grant-type:jwt-bearer'], token_endpoint_auth_method: 'private_key_jwt', jwks, scopes: ['deploy'] },
    ],
    trust_policies: policies,
  }));
  const store = new MemoryStore();
  const config = loadConfig({ TESSERA_CONFIG: file, TESSERA_KEYS_DIR: path.join(dir, 'keys'), TESSERA_KEYS_POLL_INTERVAL: '0' });
  const logger = pino({ level: 'silent' });
  try {
    await write([policy]);
    const first = await createTessera(config, { issuer: 'http://t.test', logger, store });
    expect(await store.clients.get('deployer')).toMatchObject({ token_endpoint_auth_method: 'private_key_jwt', jwks, secret_hash: null });
    expect(await store.trustPolicies.get('gha-deploy')).toMatchObject({ ...policy, conditions: { repository: ['acme/deploy'], ref: ['refs/heads/main'] } });
    first.ctx.keys.close();

    // Applied again with a change: updated in place, created_at kept.
    const created = (await store.trustPolicies.get('gha-deploy'))!.created_at;
    await write([{ ...policy, scopes: [] }]);
    const second = await createTessera(config, { issuer: 'http://t.test', logger, store });
    expect(await store.trustPolicies.get('gha-deploy')).toMatchObject({ scopes: [], created_at: created });
    second.ctx.keys.close();

    await write([{ ...policy, id: 'broken', client_id: 'nobody' }]);
    await expect(createTessera(config, { issuer: 'http://t.test', logger, store })).rejects.toMatchObject({
      problems: ['TESSERA_CONFIG: trust_policies.0 (broken): client nobody does not exist'],
    });
    await write([{ ...policy, issuer: 'https://elsewhere.example' }]);
    await expect(createTessera(config, { issuer: 'http://t.test', logger, store })).rejects.toMatchObject({
      problems: ['TESSERA_CONFIG: trust_policies.0 (gha-deploy): trust policy gha-deploy exists for issuer https://token.actions.githubusercontent.com; a policy\'s issuer cannot change (use another id)'],
    });
  } finally {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  }
});
