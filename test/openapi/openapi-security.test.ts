/**
 * The security openapi.yaml declares is the security the server enforces:
 * Basic client authentication (client_secret_basic, with client_secret_post
 * as form fields) at the token, revocation and introspection endpoints, a
 * bearer token with `tessera:admin` for /admin/v1, one with `tessera:tokens`
 * for /v1/me (any scope for GET /v1/me itself), and nothing elsewhere. Each claim is checked in the document and
 * then against the running app with a request that carries no credentials.
 */
import request from 'supertest';
import { ADMIN_SCOPE } from '../../src/http/admin/router.js';
import { TOKENS_SCOPE } from '../../src/http/me/router.js';
import { startHarness, type Harness } from '../support/harness.js';
import { assertMatchesOpenApi, documentedOperations, loadOpenApi, resolvePointer } from '../support/openapi.js';

type Json = Record<string, unknown>;
type Requirement = Record<string, string[]>;

const doc = loadOpenApi();
const schemes = (doc.components as Json).securitySchemes as Record<string, Json>;
const KNOWN = ['clientBasic', 'adminBearer', 'meBearer'];
const CLIENT_AUTH = ['POST /oauth/token', 'POST /oauth/revoke', 'POST /oauth/introspect'];

const operation = (method: string, path: string) => ((doc.paths as Record<string, Json>)[path]![method.toLowerCase()]) as Json;
const securityOf = (method: string, path: string) => (operation(method, path).security ?? doc.security) as Requirement[] | undefined;

/** What the path's mount (src/http/app.ts) requires. */
function expectedSecurity(method: string, path: string): Requirement[] | 'not ours' {
  if (path.startsWith('/admin/v1/')) return [{ adminBearer: [ADMIN_SCOPE] }];
  if (path.startsWith('/v1/me/')) return [{ meBearer: [TOKENS_SCOPE] }];
  // Who the caller is: any user's token of this server, like OIDC's UserInfo.
  if (path === '/v1/me') return [{ meBearer: [] }];
  if (CLIENT_AUTH.includes(`${method} ${path}`)) return [{ clientBasic: [] }, {}];
  return 'not ours';
}

describe('security schemes', () => {
  test('Basic client authentication, and bearer tokens for the admin API and for /v1/me', () => {
    expect(schemes.clientBasic).toMatchObject({ type: 'http', scheme: 'basic' });
    expect(schemes.clientBasic!.description).toMatch(/client_secret_basic/);
    // client_secret_post is form fields, which OpenAPI has no scheme for: the description says so.
    expect(schemes.clientBasic!.description).toMatch(/`client_secret_post`.*is not a security scheme/s);
    expect(schemes.adminBearer).toMatchObject({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' });
    expect(schemes.adminBearer!.description).toContain(ADMIN_SCOPE);
    expect(schemes.meBearer).toMatchObject({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' });
    expect(schemes.meBearer!.description).toContain(TOKENS_SCOPE);
  });

  test('every HTTP scheme is one a client can send (basic or bearer)', () => {
    for (const [name, scheme] of Object.entries(schemes)) {
      if (scheme.type === 'http') expect({ name, scheme: String(scheme.scheme).toLowerCase() }).toEqual({ name, scheme: expect.stringMatching(/^(basic|bearer)$/) });
    }
  });
});

describe('each operation declares the security of its mount', () => {
  test.each(documentedOperations().map((op) => [`${op.method} ${op.path}`, op] as const))('%s', (_name, { method, path }) => {
    const declared = securityOf(method, path);
    expect(Array.isArray(declared)).toBe(true);
    const expected = expectedSecurity(method, path);
    if (expected !== 'not ours') {
      expect(declared).toEqual(expected);
    } else {
      // Public, or guarded by a scheme of its own: none of the three above.
      expect(declared!.flatMap((r) => Object.keys(r)).filter((n) => KNOWN.includes(n))).toEqual([]);
    }
  });

  test.each(CLIENT_AUTH)('%s documents client_secret_post: the form fields, and the `{}` alternative explained', (op) => {
    const [method, path] = op.split(' ') as [string, string];
    const o = operation(method, path);
    expect(o.description).toMatch(/`client_secret_post`/);
    const media = ((o.requestBody as Json).content as Json)['application/x-www-form-urlencoded'] as Json;
    const body = resolvePointer(((media.schema as Json).$ref) as string) as Json;
    const props = body.properties as Record<string, Json>;
    expect(props.client_id?.description).toMatch(/client_secret_post/);
    expect(props.client_secret).toMatchObject({ type: 'string', writeOnly: true });
  });
});

describe('the running app enforces what each operation declares', () => {
  let h: Harness;
  beforeAll(async () => { h = await startHarness(); });
  afterAll(async () => { await h.stop(); });

  /** A request with no credentials at all (path parameters filled with `x`). */
  function anonymous(method: string, path: string) {
    const url = path.replace(/\{[^}]+\}/g, 'x');
    const req = request(h.app)[method.toLowerCase() as 'get'](url);
    return method === 'POST' && CLIENT_AUTH.includes(`${method} ${path}`) ? req.type('form').send('') : req;
  }

  const cases = documentedOperations()
    .filter(({ method, path }) => (securityOf(method, path) ?? []).every((r) => Object.keys(r).every((n) => KNOWN.includes(n))))
    .map((op) => [`${op.method} ${op.path}`, op] as const);

  test('covers every operation of the three schemes and the public ones', () => {
    expect(cases.length).toBeGreaterThanOrEqual(40);
  });

  test.each(cases)('%s', async (_name, { method, path }) => {
    const declared = securityOf(method, path)!;
    const res = await anonymous(method, path);
    assertMatchesOpenApi(res);
    const names = declared.flatMap((r) => Object.keys(r));
    const optional = declared.some((r) => Object.keys(r).length === 0);
    if (names.includes('adminBearer') || names.includes('meBearer')) {
      expect({ status: res.status, challenge: res.headers['www-authenticate'] }).toEqual({ status: 401, challenge: expect.stringMatching(/^Bearer realm="tessera"/) });
    } else if (names.includes('clientBasic')) {
      // Nothing in the form either: neither client_secret_basic nor client_secret_post nor a public client's client_id.
      expect({ status: res.status, challenge: res.headers['www-authenticate'] }).toEqual({ status: 401, challenge: 'Basic realm="tessera", charset="UTF-8"' });
      expect(optional).toBe(true);
    } else {
      expect(declared).toEqual([]);
      expect(res.status).not.toBe(401);
      expect(res.status).not.toBe(403);
    }
  });
});
