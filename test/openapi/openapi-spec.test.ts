/** openapi.yaml itself: it parses, every $ref resolves, every schema compiles, and the validator really fails. */
import type { Response } from 'supertest';
import {
  assertMatchesOpenApi, documentedOperations, documentedResponses, loadOpenApi, openApiAjv, pointer, resolvePointer,
} from '../support/openapi.js';

type Json = Record<string, unknown>;

function walk(node: unknown, at: string, visit: (value: Json, at: string) => void): void {
  if (node === null || typeof node !== 'object') return;
  if (!Array.isArray(node)) visit(node as Json, at);
  for (const [k, v] of Object.entries(node)) walk(v, `${at}/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`, visit);
}

/** A stand-in for a supertest answer, for driving the validator with answers the server never gives. */
function fake(method: string, path: string, status: number, body?: unknown, headers: Record<string, string> = {}): Response {
  const text = body === undefined ? '' : JSON.stringify(body);
  const all = body === undefined ? headers : { 'content-type': 'application/json; charset=utf-8', ...headers };
  return { req: { method, path }, status, headers: all, text, body: body ?? {} } as unknown as Response;
}

const noStore = { 'cache-control': 'no-store', pragma: 'no-cache' };
const validClient = {
  client_id: 'svc', name: 'svc', public: false, grant_types: ['client_credentials'], scopes: [], default_scopes: null,
  audiences: [], redirect_uris: [], third_party: false, always_issue_refresh_token: false,
  token_endpoint_auth_method: 'client_secret_basic', jwks: null, jwks_uri: null, dpop_bound_access_tokens: false,
  created_at: '2026-01-01T00:00:00.000Z', updated_at: '2026-01-01T00:00:00.000Z', secret_rotated_at: '2026-01-01T00:00:00.000Z',
};

describe('openapi.yaml', () => {
  const doc = loadOpenApi();

  test('is OpenAPI 3.1.0 (its security schemes: openapi-security.test.ts)', () => {
    expect(doc.openapi).toBe('3.1.0');
  });

  // redocly.yaml turns these two rules off for one operation each; here they hold for every other one.
  test('every operation documents a 2xx answer, except the consent post, which only redirects (303) or shows an error page', () => {
    const without = documentedResponses().filter((op) => !op.statuses.some((s) => /^2(\d\d|XX)$/.test(s))).map((op) => `${op.method} ${op.path}`);
    expect(without).toEqual(['POST /oauth/authorize/consent']);
    expect(documentedResponses().find((op) => op.path === '/oauth/authorize/consent')!.statuses).toContain('303');
  });

  test('every operation documents a 4xx answer, except the constant stylesheet of the login pages', () => {
    const without = documentedResponses().filter((op) => !op.statuses.some((s) => /^4(\d\d|XX)$/.test(s))).map((op) => `${op.method} ${op.path}`);
    expect(without).toEqual(['GET /oauth/assets/tessera.css']);
  });

  test('every $ref resolves', () => {
    const broken: string[] = [];
    let count = 0;
    walk(doc, '#', (value, at) => {
      if (typeof value.$ref !== 'string') return;
      count++;
      if (resolvePointer(value.$ref) === undefined) broken.push(`${at}: ${value.$ref}`);
    });
    expect(broken).toEqual([]);
    expect(count).toBeGreaterThan(50);
  });

  test('every schema compiles (components and every response body and header)', () => {
    const ajv = openApiAjv();
    const failures: string[] = [];
    const compile = (at: string) => {
      try {
        ajv.compile({ $ref: `openapi.yaml#${at.slice(1).split('/').map(encodeURIComponent).join('/')}` });
      } catch (err) {
        failures.push(`${at}: ${(err as Error).message}`);
      }
    };
    for (const name of Object.keys((doc.components as Json).schemas as Json)) compile(pointer('components', 'schemas', name));
    walk(doc, '#', (value, at) => {
      if (value.schema !== undefined && typeof value.schema === 'object') compile(`${at}/schema`);
    });
    expect(failures).toEqual([]);
  });

  test('operations have unique operationIds, responses, and declare their path parameters', () => {
    const ids = new Set<string>();
    for (const { method, path } of documentedOperations()) {
      const item = (doc.paths as Record<string, Json>)[path]!;
      const op = item[method.toLowerCase()] as Json;
      expect(typeof op.operationId).toBe('string');
      expect(ids.has(op.operationId as string)).toBe(false);
      ids.add(op.operationId as string);
      expect(Object.keys(op.responses as Json).length).toBeGreaterThan(0);
      const declared = [...((item.parameters ?? []) as Json[]), ...((op.parameters ?? []) as Json[])]
        .map((p) => (typeof p.$ref === 'string' ? (resolvePointer(p.$ref) as Json) : p))
        .filter((p) => p.in === 'path').map((p) => p.name);
      const inPath = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
      expect(declared.sort()).toEqual(inPath.sort());
    }
    expect(ids.size).toBe(documentedOperations().length);
  });

  test('every JSON error answer uses the shared OAuthError schema (the login pages answer people in HTML)', () => {
    for (const { method, path, statuses } of documentedResponses()) {
      const responses = ((doc.paths as Record<string, Json>)[path]![method.toLowerCase()] as Json).responses as Json;
      for (const s of statuses.filter((x) => Number(x) >= 400 && !(path === '/readyz' && x === '503'))) {
        let r = responses[s] as Json;
        if (typeof r.$ref === 'string') r = resolvePointer(r.$ref) as Json;
        const content = r.content as Json;
        if (path.startsWith('/oauth/authorize') && content['text/html'] && !content['application/json']) continue;
        const schema = (content['application/json'] as Json).schema as Json;
        expect({ at: `${method} ${path} ${s}`, ref: schema.$ref }).toEqual({ at: `${method} ${path} ${s}`, ref: '#/components/schemas/OAuthError' });
      }
    }
  });
});

describe('assertMatchesOpenApi fails when it should', () => {
  test('accepts a documented answer', () => {
    expect(() => assertMatchesOpenApi(fake('GET', '/healthz', 200, { status: 'ok' }, noStore))).not.toThrow();
    expect(() => assertMatchesOpenApi(fake('GET', '/admin/v1/clients/svc?x=1', 200, validClient, { 'cache-control': 'no-store' }))).not.toThrow();
  });

  test('an undocumented status', () => {
    expect(() => assertMatchesOpenApi(fake('GET', '/healthz', 418, { error: 'teapot', error_description: 'x' }, noStore)))
      .toThrow(/GET \/healthz answered 418: status 418 is not documented/);
  });

  test('an undocumented path or method', () => {
    expect(() => assertMatchesOpenApi(fake('GET', '/nowhere', 200, {}))).toThrow(/not documented in openapi\.yaml/);
    expect(() => assertMatchesOpenApi(fake('PUT', '/oauth/token', 200, {}))).toThrow(/PUT is not documented for \/oauth\/token/);
  });

  test('a body missing a required field, or with an extra one', () => {
    const { client_id: _, ...noId } = validClient;
    expect(() => assertMatchesOpenApi(fake('GET', '/admin/v1/clients/svc', 200, noId, { 'cache-control': 'no-store' })))
      .toThrow(/must have required property 'client_id'/);
    expect(() => assertMatchesOpenApi(fake('GET', '/admin/v1/clients/svc', 200, { ...validClient, secret_hash: 'x' }, { 'cache-control': 'no-store' })))
      .toThrow(/must NOT have unevaluated properties/);
    expect(() => assertMatchesOpenApi(fake('POST', '/oauth/token', 400, { error: 'invalid_request' }, noStore)))
      .toThrow(/error_description/);
  });

  test('a wrong enum value', () => {
    expect(() => assertMatchesOpenApi(fake('POST', '/oauth/token', 400, { error: 'nope', error_description: 'x' }, noStore)))
      .toThrow(/must be equal to one of the allowed values/);
  });

  test('a missing required header, or one with a wrong value', () => {
    expect(() => assertMatchesOpenApi(fake('POST', '/oauth/token', 401, { error: 'invalid_client', error_description: 'x' }, noStore)))
      .toThrow(/header WWW-Authenticate is required/);
    expect(() => assertMatchesOpenApi(fake('POST', '/oauth/revoke', 200, undefined, { 'cache-control': 'max-age=60', pragma: 'no-cache' })))
      .toThrow(/header Cache-Control/);
    expect(() => assertMatchesOpenApi(fake('POST', '/oauth/token', 503, { error: 'temporarily_unavailable', error_description: 'x' }, { ...noStore, 'retry-after': 'soon' })))
      .toThrow(/header Retry-After/);
  });

  test('a body where none is documented, or none where one is', () => {
    expect(() => assertMatchesOpenApi(fake('POST', '/oauth/revoke', 200, { ok: true }, noStore))).toThrow(/documents no body/);
    expect(() => assertMatchesOpenApi(fake('GET', '/healthz', 200, undefined, noStore))).toThrow(/no Content-Type/);
    expect(() => assertMatchesOpenApi(fake('GET', '/healthz', 200, undefined, { ...noStore, 'content-type': 'text/plain' }))).toThrow(/text\/plain is not documented/);
  });
});
