/**
 * Checks real answers against openapi.yaml: the operation is found from the
 * request's method and path, the status must be documented for it, headers
 * the spec marks `required: true` must be there (and every documented header
 * that is there must fit its schema), and a JSON body must validate against
 * the documented schema. Also records which (operation, status) pairs a test
 * file exercised, so a suite can fail when part of the spec was never hit.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import Ajv2020Module from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import type { ErrorObject, ValidateFunction } from 'ajv/dist/2020.js';
import type { Response } from 'supertest';

type Json = Record<string, unknown>;

export const SPEC_PATH = fileURLToPath(new URL('../../openapi.yaml', import.meta.url));
const SPEC_ID = 'openapi.yaml';
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

// ajv and ajv-formats are CommonJS: their `default` export is the module itself, with `.default` on it.
const Ajv2020 = Ajv2020Module.default;
const addFormats = addFormatsModule.default;

let cache: { doc: Json; ajv: InstanceType<typeof Ajv2020> } | undefined;

function state(): { doc: Json; ajv: InstanceType<typeof Ajv2020> } {
  if (!cache) {
    const doc = parse(readFileSync(SPEC_PATH, 'utf8')) as Json;
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormats(ajv);
    // The whole document, so that `$ref: '#/components/...'` inside any schema resolves.
    ajv.addSchema(doc, SPEC_ID);
    cache = { doc, ajv };
  }
  return cache;
}

/** The parsed openapi.yaml. */
export function loadOpenApi(): Json {
  return state().doc;
}

/** The Ajv instance holding the document (for compiling `{ $ref: 'openapi.yaml#/...' }`). */
export function openApiAjv(): InstanceType<typeof Ajv2020> {
  return state().ajv;
}

const escapeSegment = (s: string) => s.replace(/~/g, '~0').replace(/\//g, '~1');
export const pointer = (...segments: string[]) => `#/${segments.map(escapeSegment).join('/')}`;

/** Resolves a local `#/...` JSON pointer; undefined when it leads nowhere. */
export function resolvePointer(ref: string, doc: unknown = loadOpenApi()): unknown {
  if (!ref.startsWith('#')) return undefined;
  const parts = ref === '#' || ref === '#/' ? [] : ref.slice(2).split('/');
  let node: unknown = doc;
  for (const raw of parts) {
    const key = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
    if (node === null || typeof node !== 'object' || !(key in node)) return undefined;
    node = (node as Json)[key];
  }
  return node;
}

/** Follows OpenAPI-level `$ref`s (responses, headers, parameters) to the object and its pointer. */
function deref(node: unknown, at: string): { value: Json; at: string } {
  let value = node as Json;
  for (let hops = 0; typeof value?.$ref === 'string'; hops++) {
    if (hops > 20) throw new Error(`openapi.yaml: $ref loop at ${at}`);
    at = value.$ref as string;
    const next = resolvePointer(at);
    if (next === undefined) throw new Error(`openapi.yaml: $ref ${at} does not resolve`);
    value = next as Json;
  }
  return { value, at };
}

const validators = new Map<string, ValidateFunction>();
function validatorAt(at: string): ValidateFunction {
  let v = validators.get(at);
  if (!v) {
    const fragment = at.slice(1).split('/').map(encodeURIComponent).join('/');
    v = state().ajv.compile({ $ref: `${SPEC_ID}#${fragment}` });
    validators.set(at, v);
  }
  return v;
}

const formatErrors = (errors: ErrorObject[] | null | undefined) =>
  (errors ?? []).map((e) => `    ${e.instancePath || '(root)'} ${e.message ?? ''} ${JSON.stringify(e.params)}`).join('\n');

interface PathMatch { template: string; item: Json; at: string }

function paths(): Array<{ template: string; item: Json; regex: RegExp; literals: number }> {
  const out = Object.entries((loadOpenApi().paths ?? {}) as Record<string, Json>).map(([template, item]) => {
    const segments = template.split('/');
    const regex = new RegExp(`^${segments.map((s) => (/^\{[^}]+\}$/.test(s) ? '[^/]+' : s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))).join('/')}$`);
    return { template, item, regex, literals: segments.filter((s) => !s.startsWith('{')).length };
  });
  // Literal segments win over templated ones (/a/b before /a/{x}).
  return out.sort((a, b) => b.literals - a.literals);
}

function findPath(path: string): PathMatch | undefined {
  const hit = paths().find((p) => p.regex.test(path));
  return hit && { template: hit.template, item: hit.item, at: pointer('paths', hit.template) };
}

/** Every operation the spec documents, as `{ method: 'POST', path: '/oauth/token' }`. */
export function documentedOperations(): Array<{ method: string; path: string }> {
  return paths().flatMap(({ template, item }) =>
    METHODS.filter((m) => item[m] !== undefined).map((m) => ({ method: m.toUpperCase(), path: template })));
}

/** Every operation with the statuses it documents. */
export function documentedResponses(): Array<{ method: string; path: string; statuses: string[] }> {
  return documentedOperations().map(({ method, path }) => {
    const op = (loadOpenApi().paths as Record<string, Json>)[path]![method.toLowerCase()] as Json;
    return { method, path, statuses: Object.keys((op.responses ?? {}) as Json) };
  });
}

const exercised = new Map<string, Set<string>>();
const record = (method: string, template: string, status: string) => {
  const key = `${method} ${template}`;
  if (!exercised.has(key)) exercised.set(key, new Set());
  exercised.get(key)!.add(status);
};

/** `"METHOD /path"` → statuses seen by assertMatchesOpenApi in this test file. */
export function exercisedResponses(): ReadonlyMap<string, ReadonlySet<string>> {
  return exercised;
}

/** Documented (operation, status) pairs not yet seen, for the operations `owns` selects. */
export function unexercised(owns: (op: { method: string; path: string }) => boolean): { operations: string[]; responses: string[] } {
  const operations: string[] = [];
  const responses: string[] = [];
  for (const op of documentedResponses().filter(owns)) {
    const seen = exercised.get(`${op.method} ${op.path}`);
    if (!seen) operations.push(`${op.method} ${op.path}`);
    for (const s of op.statuses) if (!seen?.has(s)) responses.push(`${op.method} ${op.path} ${s}`);
  }
  return { operations, responses };
}

function checkHeader(name: string, header: Json, at: string, actual: string | undefined, problems: string[]): void {
  if (actual === undefined) {
    if (header.required === true) problems.push(`  header ${name} is required by the spec but missing`);
    return;
  }
  const schema = header.schema as Json | undefined;
  if (!schema) return;
  const validate = validatorAt(`${at}/schema`);
  const numeric = (schema.type === 'integer' || schema.type === 'number') && /^-?\d+(\.\d+)?$/.test(actual);
  if (!validate(numeric ? Number(actual) : actual)) {
    problems.push(`  header ${name}: ${JSON.stringify(actual)} does not match its schema:\n${formatErrors(validate.errors)}`);
  }
}

/** A response object by its name under components/responses. */
const component = (name: string) => ({ $ref: pointer('components', 'responses', name) });

/**
 * info.description: "A path not listed here is answered `404 not_found`;
 * under `/admin/v1` and `/v1/me` the bearer check (and the JSON body
 * parser) comes first." So an unknown path there may also get the bearer
 * and body errors of that API, and a 503 when the token store is down.
 */
const BEARER_FIRST: Array<{ prefix: string; responses: Json }> = [
  {
    prefix: '/admin/v1',
    responses: {
      '400': component('AdminBadRequest'), '401': component('AdminUnauthorized'), '403': component('AdminForbidden'),
      '413': component('PayloadTooLarge'), '415': component('UnsupportedMediaType'), '503': component('ServiceUnavailable'),
    },
  },
  {
    prefix: '/v1/me',
    responses: {
      '400': component('AdminBadRequest'), '401': component('MeUnauthorized'), '403': component('MeForbidden'),
      '413': component('PayloadTooLarge'), '415': component('UnsupportedMediaType'), '503': component('ServiceUnavailable'),
    },
  },
];

/** The answers info.description allows for a path the spec does not list (or a server does not serve). */
function unknownPathResponses(path: string): Json {
  const under = BEARER_FIRST.find(({ prefix }) => path === prefix || path.startsWith(`${prefix}/`));
  return { '404': component('NotFound'), ...(under?.responses ?? {}) };
}

export interface MatchOptions {
  /**
   * False when the server that answered does not serve this documented path
   * at all (the `TESSERA_METRICS_PORT` listener serves `/metrics` and nothing
   * else; the main port then no `/metrics`): its answer is held to the
   * unknown-path rule instead of the operation's responses.
   */
  pathServed?: boolean;
}

interface Expected { responses: Json; responsesAt: string; recordAs: Array<[string, string]>; unknown?: string }

/** Which responses the spec allows for `method` on `path` (see MatchOptions and info.description). */
function expectedResponses(method: string, path: string, status: number, where: string, options: MatchOptions): Expected {
  const unknown = (why: string): Expected => ({ responses: unknownPathResponses(path), responsesAt: '#/info/description', recordAs: [], unknown: why });
  if (options.pathServed === false) return unknown('this server does not serve the path');
  const match = findPath(path);
  if (!match) return unknown('the path is not documented in openapi.yaml');

  const lower = method.toLowerCase();
  const opMethod = lower === 'head' && match.item.head === undefined ? 'get' : lower;
  if (match.item[opMethod] !== undefined) {
    return {
      responses: ((match.item[opMethod] as Json).responses ?? {}) as Json,
      responsesAt: `${match.at}/${opMethod}/responses`,
      recordAs: [[opMethod.toUpperCase(), match.template]],
    };
  }
  const with405 = METHODS.filter((m) => ((match.item[m] as Json | undefined)?.responses as Json | undefined)?.['405'] !== undefined);
  // info.description: a path whose operations document no 405 (the stylesheet) answers other methods as an unknown path.
  if (with405.length === 0) return unknown(`${method} is not documented for ${match.template}, whose operations document no 405`);
  if (status !== 405) throw new Error(`${where}: ${method} is not documented for ${match.template} (only a documented 405 would fit)`);
  return {
    responses: (match.item[with405[0]!] as Json).responses as Json,
    responsesAt: `${match.at}/${with405[0]}/responses`,
    recordAs: with405.map((m) => [m.toUpperCase(), match.template]),
  };
}

/**
 * Throws unless `res` is an answer openapi.yaml documents: path and method,
 * status (or `default`), required headers, content type and JSON body.
 * A method the path does not document may only be answered with the 405
 * that the path's operations document; a path the spec does not list, only
 * as info.description says an unknown path is answered.
 */
export function assertMatchesOpenApi(res: Response, options: MatchOptions = {}): void {
  const req = (res as unknown as { req?: { method?: string; path?: string } }).req;
  if (!req?.method || typeof req.path !== 'string') throw new Error('assertMatchesOpenApi: the response has no res.req.method/res.req.path');
  const method = req.method.toUpperCase();
  const path = req.path.split('?')[0]!;
  const where = `${method} ${path} answered ${res.status}`;
  const status = String(res.status);
  const { responses, responsesAt, recordAs, unknown } = expectedResponses(method, path, res.status, where, options);

  const key = [status, `${status[0]}XX`, 'default'].find((k) => responses[k] !== undefined);
  if (!key) {
    const body = `\n  body: ${res.text?.slice(0, 300)}`;
    if (unknown) throw new Error(`${where}: ${unknown}, and such a request may only be answered ${Object.keys(responses).join(', ')} (info.description)${body}`);
    const [opMethod, template] = recordAs[0]!;
    throw new Error(`${where}: status ${status} is not documented for ${opMethod} ${template} (documented: ${Object.keys(responses).join(', ')})${body}`);
  }
  const { value: response, at: responseAt } = deref(responses[key], `${responsesAt}/${escapeSegment(key)}`);
  const problems: string[] = [];

  for (const [name, h] of Object.entries((response.headers ?? {}) as Json)) {
    if (name.toLowerCase() === 'content-type') continue;
    const { value: header, at } = deref(h, `${responseAt}/headers/${escapeSegment(name)}`);
    checkHeader(name, header, at, res.headers[name.toLowerCase()], problems);
  }

  const content = (response.content ?? {}) as Json;
  const contentType = res.headers['content-type'];
  const text = typeof res.text === 'string' ? res.text : res.body === undefined ? '' : JSON.stringify(res.body);
  if (method !== 'HEAD') {
    if (Object.keys(content).length === 0) {
      if (text.length > 0) problems.push(`  the spec documents no body, but one came (${contentType ?? 'no content-type'}): ${text.slice(0, 200)}`);
    } else if (!contentType) {
      problems.push(`  the spec documents a body (${Object.keys(content).join(', ')}) but the answer has no Content-Type`);
    } else {
      const media = contentType.split(';')[0]!.trim().toLowerCase();
      const documented = [media, `${media.split('/')[0]}/*`, '*/*'].find((m) => content[m] !== undefined);
      if (!documented) {
        problems.push(`  content type ${media} is not documented (documented: ${Object.keys(content).join(', ')})`);
      } else if (/[/+]json$/.test(media) && (content[documented] as Json).schema !== undefined) {
        let body: unknown;
        try {
          body = JSON.parse(text);
        } catch {
          problems.push(`  the body is not JSON: ${text.slice(0, 200)}`);
        }
        const validate = validatorAt(`${responseAt}/content/${escapeSegment(documented)}/schema`);
        if (body !== undefined && !validate(body)) {
          problems.push(`  the body does not match the schema:\n${formatErrors(validate.errors)}\n  body: ${text.slice(0, 500)}`);
        }
      }
    }
  }

  if (problems.length) throw new Error(`${where} does not match openapi.yaml (${responseAt}):\n${problems.join('\n')}`);
  for (const [m, t] of recordAs) record(m, t, status);
}

/** Awaits a supertest request, requires `status`, then assertMatchesOpenApi; returns the answer. */
export async function expectDocumented(req: PromiseLike<Response>, status: number): Promise<Response> {
  const res = await req;
  if (res.status !== status) {
    const r = (res as unknown as { req?: { method?: string; path?: string } }).req;
    throw new Error(`${r?.method} ${r?.path}: expected ${status}, got ${res.status} ${res.text?.slice(0, 300)}`);
  }
  assertMatchesOpenApi(res);
  return res;
}
