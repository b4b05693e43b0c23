import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { readBootstrapFile, validateBootstrap } from '../../src/config/bootstrap-file.js';
import { ConfigError } from '../../src/core/errors.js';

const CONTRACT_EXAMPLE = {
  roles: { reader: ['orders:read'], admin: ['orders:read', 'orders:write', 'tessera:admin'] },
  users: [{ username: 'alice', password: 'alice-password', roles: ['reader'] }],
  clients: [
    { client_id: 'billing-service', client_secret: 'billing-secret-0123456789', grant_types: ['client_credentials'], scopes: ['orders:read'], audiences: ['https://api.example.com'] },
    { client_id: 'web-app', public: true, redirect_uris: ['http://localhost:5173/cb'], grant_types: ['authorization_code', 'refresh_token'], scopes: ['orders:read', 'offline_access'] },
  ],
};

describe('bootstrap file', () => {
  test('the contract example is valid', () => {
    expect(validateBootstrap(CONTRACT_EXAMPLE).ok).toBe(true);
  });

  test('unknown keys are errors, at any level', () => {
    const r = validateBootstrap({ ...CONTRACT_EXAMPLE, extra: 1, clients: [{ ...CONTRACT_EXAMPLE.clients[0], colour: 'red' }] });
    expect(r).toEqual({ ok: false, problems: expect.arrayContaining([expect.stringContaining('extra'), expect.stringContaining('colour')]) });
  });

  test('an unknown key names the known key it most likely meant, at any level', () => {
    const r = validateBootstrap({
      rolez: {},
      users: [{ username: 'bob', password: 'bob-password', role: ['reader'] }],
      clients: [{ client_id: 'x', public: true, scope: ['orders:read'], redirect_uri: ['http://localhost/cb'], colour: 'red' }],
    });
    expect(r).toEqual({
      ok: false,
      problems: [
        "users.0: unknown key 'role' (did you mean 'roles'?)",
        "clients.0: unknown key 'scope' (did you mean 'scopes'?)",
        "clients.0: unknown key 'redirect_uri' (did you mean 'redirect_uris'?)",
        "clients.0: unknown key 'colour'",
        "(root): unknown key 'rolez' (did you mean 'roles'?)",
      ],
    });
  });

  test('bad JSON is reported by line and column, in words, without quoting the file', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'tessera-cfg-'));
    const problem = async (text: string) => {
      const file = path.join(dir, 'tessera.json');
      await writeFile(file, text);
      const err = await readBootstrapFile(file).then(() => null, (e: unknown) => e);
      expect(err).toBeInstanceOf(ConfigError);
      const [line] = (err as ConfigError).problems;
      expect(line!.startsWith(`TESSERA_CONFIG: ${file} is not valid JSON: `)).toBe(true);
      return line!.slice(`TESSERA_CONFIG: ${file} is not valid JSON: `.length);
    };
    try {
      expect(await problem('{\n  "roles": {\n    "reader": ["orders:read"],\n  }\n}')).toBe('line 4, column 3: a comma before a closing bracket is not allowed in JSON');
      expect(await problem('{\n  "users": [\n    { "username": "alice" "password": "s3cret-password" }\n  ]\n}')).toBe("line 3, column 27: expected ',' or a closing bracket");
      expect(await problem("{ 'roles': {} }")).toBe('line 1, column 3: unexpected character');
      expect(await problem('{ "roles": {} } // the roles')).toBe('line 1, column 17: comments are not allowed in JSON');
      expect(await problem('{ "roles": {')).toBe("line 1, column 13: expected '}'");
      expect(await problem('')).toBe('line 1, column 1: expected a value');
      // A byte order mark is not a mistake.
      await writeFile(path.join(dir, 'bom.json'), `\uFEFF${JSON.stringify({ roles: {} })}`);
      await expect(readBootstrapFile(path.join(dir, 'bom.json'))).resolves.toEqual({ roles: {} });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('a confidential client needs a secret', () => {
    const r = validateBootstrap({ clients: [{ client_id: 'x' }] });
    expect(r).toEqual({ ok: false, problems: ['clients.0.client_secret: a confidential client in the bootstrap file needs a client_secret (or "public": true, or token_endpoint_auth_method private_key_jwt with its jwks or jwks_uri)'] });
  });

  test('a user naming an unknown role is an error', () => {
    expect(validateBootstrap({ users: [{ username: 'bob', password: 'bob-password', roles: ['ghost'] }] })).toEqual({ ok: false, problems: ['users.0.roles: unknown role ghost'] });
  });

  test('problems never contain secret values', () => {
    const r = validateBootstrap({ clients: [{ client_id: 'x', client_secret: 'short-sec' }] });
    expect(JSON.stringify(r)).not.toContain('short-sec');
  });

  test('reading: a missing file, bad JSON and invalid content are ConfigErrors naming TESSERA_CONFIG', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'tessera-cfg-'));
    try {
      await expect(readBootstrapFile(path.join(dir, 'none.json'))).rejects.toThrow(ConfigError);
      await writeFile(path.join(dir, 'bad.json'), '{');
      await expect(readBootstrapFile(path.join(dir, 'bad.json'))).rejects.toThrow(/TESSERA_CONFIG: .* is not valid JSON/);
      await writeFile(path.join(dir, 'ok.json'), JSON.stringify(CONTRACT_EXAMPLE));
      await expect(readBootstrapFile(path.join(dir, 'ok.json'))).resolves.toMatchObject({ clients: expect.any(Array) });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
