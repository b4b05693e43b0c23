/**
 * The fuzzing run: a Tessera in this process (memory store, real listener
 * with the production connection limits), a fixture of real clients, users
 * and tokens for the generators to draw from, then `inputs` generated
 * requests (test/fuzz/fuzz-inputs.ts) sent over keep-alive connections, a
 * few dozen at a time. Every answer is checked: no 5xx, no stack trace in
 * the body; at the end the server must still be ready (/readyz 200).
 * Used by `npm run fuzz` (100 000 inputs) and by a short jest test.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { pino } from 'pino';
import YAML from 'yaml';
import { loadConfig } from '../../src/config/config.js';
import { createTessera } from '../../src/server.js';
import { MemoryStore } from '../../src/store/memory-store.js';
import { createHttpServer } from '../../src/http/http-server.js';
import { ENDPOINTS, fuzzRequest, type Endpoint, type FuzzPool, type FuzzRequest } from './fuzz-inputs.js';

export interface FuzzOptions {
  inputs: number;
  seed: number;
  concurrency?: number;
  /** Where openapi.yaml is (the admin operations are read from it). */
  openapiPath?: string;
  onProgress?: (done: number, total: number) => void;
  /** Only these endpoints (default: all). */
  only?: readonly Endpoint[];
}

export interface Finding {
  request: { method: string; path: string; headers: Record<string, string>; body: string | null };
  status: number | null;
  body: string;
  reason: string;
}

export interface FuzzSummary {
  seed: number;
  inputs: number;
  perEndpoint: Record<Endpoint, number>;
  statuses: Record<string, number>;
  serverErrors: Finding[];
  stackTraces: Finding[];
  /** Requests the connection failed for (reset, timeout) rather than answered. */
  transportErrors: Finding[];
  /** Lines the server logged at error level or above (e.g. `request failed` for a 500). */
  errorLogLines: string[];
  readyzAfter: number;
  elapsedMs: number;
  /** Requests sent again on a new connection after a reset of a reused one (then answered). */
  retried: number;
  /** Mean answer time per endpoint, ms (with `concurrency` requests in flight). */
  meanMs: Record<Endpoint, number>;
  slowest: { ms: number; request: string };
}

const ADMIN_SECRET = 'fuzz-admin-secret-0123456789abcdef';
const BATCH = 1000;
/** What a stack trace in a body looks like: V8 frames, file positions, Node internals. */
const STACK_TRACE = /\bat [\w$.<>[\] ]+ \(|\bat (?:file|node):|node:internal|\.(?:ts|js|mjs):\d+:\d+|\bError: .*\n\s+at /;

/** Header values and paths Node's client accepts: anything else percent-encoded (paths) or replaced (headers). */
const safeHeader = (v: string) => v.replace(/[^\t\x20-\x7e\x80-\xff]/g, '?');
const safePath = (p: string) => p.replace(/[^\x21-\x7e]/g, (c) => encodeURIComponent(c).replace(/%25/g, '%') || '%3F');
const toSafePath = (p: string) => {
  try {
    return safePath(p);
  } catch {
    return p.replace(/[^\x21-\x7e]/g, '%3F');
  }
};

interface Answer { status: number; body: string }

/** Request line and header section, bytes (what Node's maxHeaderSize counts, near enough). */
function headerBytes(r: { method: string; path: string; headers: Record<string, string> }): number {
  return r.method.length + r.path.length + 12 + Object.entries(r.headers).reduce((n, [k, v]) => n + k.length + Buffer.byteLength(v, 'latin1') + 4, 0) + 64;
}

function send(agent: http.Agent, port: number, r: { method: string; path: string; headers: Record<string, string>; body?: Buffer | undefined }): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, agent, method: r.method, path: r.path, headers: r.headers, timeout: 15_000 }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => { if (size < 65_536) chunks.push(c); size += c.length; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end(r.body);
  });
}

async function json(agent: http.Agent, port: number, method: string, p: string, headers: Record<string, string>, body?: unknown, form = false): Promise<Record<string, unknown>> {
  const payload = body === undefined ? undefined : Buffer.from(form ? new URLSearchParams(body as Record<string, string>).toString() : JSON.stringify(body));
  const res = await send(agent, port, {
    method, path: p, body: payload,
    headers: { ...headers, ...(payload ? { 'content-type': form ? 'application/x-www-form-urlencoded' : 'application/json' } : {}) },
  });
  if (res.status >= 300) throw new Error(`fixture: ${method} ${p} answered ${res.status} ${res.body}`);
  return res.body ? (JSON.parse(res.body) as Record<string, unknown>) : {};
}

async function adminOperations(openapiPath: string): Promise<FuzzPool['adminOperations']> {
  const doc = YAML.parse(await readFile(openapiPath, 'utf8')) as { paths: Record<string, Record<string, unknown>> };
  const ops: FuzzPool['adminOperations'] = [];
  for (const [p, item] of Object.entries(doc.paths)) {
    if (!p.startsWith('/admin/v1') && !p.startsWith('/v1/me')) continue;
    for (const method of Object.keys(item)) {
      if (['get', 'post', 'put', 'patch', 'delete'].includes(method)) ops.push({ method: method.toUpperCase(), path: p });
    }
  }
  return ops;
}

function describe(r: FuzzRequest): Finding['request'] {
  return { method: r.method, path: r.path, headers: r.headers, body: r.body ? r.body.toString('latin1').slice(0, 2000) : null };
}

export async function runFuzz(options: FuzzOptions): Promise<FuzzSummary> {
  const started = Date.now();
  const concurrency = options.concurrency ?? 32;
  const keysDir = await mkdtemp(path.join(os.tmpdir(), 'tessera-fuzz-keys-'));
  const errorLogLines: string[] = [];
  const logger = pino({ level: 'error' }, { write: (line: string) => { if (errorLogLines.length < 200) errorLogLines.push(line.trim()); } });

  let handler: http.RequestListener = (_req, res) => { res.statusCode = 503; res.end(); };
  const limits = loadConfig({}).connections;
  const server = createHttpServer(limits, (req, res) => handler(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const issuer = `http://127.0.0.1:${port}`;
  const config = loadConfig({
    TESSERA_ISSUER: issuer,
    TESSERA_KEYS_DIR: keysDir,
    TESSERA_BOOTSTRAP_ADMIN_SECRET: ADMIN_SECRET,
    TESSERA_KEYS_POLL_INTERVAL: '0',
    TESSERA_PASSWORD_HASH_COST: '10',
    // Limits high enough that most inputs reach the code behind them rather than a 429.
    TESSERA_RATE_LIMIT_AUTH_FAILURES: '1000000/60',
    TESSERA_RATE_LIMIT_CLIENT: '1000000/60',
    TESSERA_RATE_LIMIT_API_TOKEN: '1000000/60',
  });
  const tessera = await createTessera(config, { issuer, logger, store: new MemoryStore(), background: false });
  handler = tessera.app;
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const fresh = new http.Agent({ keepAlive: false });

  try {
    // The fixture: a client for every grant, a user with a role, an API token, a user's access token.
    const basicAdmin = { authorization: `Basic ${Buffer.from(`tessera-admin:${ADMIN_SECRET}`).toString('base64')}` };
    const adminToken = (await json(agent, port, 'POST', '/oauth/token', basicAdmin, { grant_type: 'client_credentials' }, true)).access_token as string;
    const admin = { authorization: `Bearer ${adminToken}` };
    await json(agent, port, 'PUT', '/admin/v1/roles/fuzzers', admin, { scopes: ['orders:read', 'tessera:tokens'] });
    const user = await json(agent, port, 'POST', '/admin/v1/users', admin, { username: 'fuzz-user', password: 'fuzz-user-password', roles: ['fuzzers'] });
    const redirectUri = 'http://127.0.0.1:9/callback';
    const client = await json(agent, port, 'POST', '/admin/v1/clients', admin, {
      client_id: 'fuzz-client', scopes: ['orders:read', 'tessera:tokens'], redirect_uris: [redirectUri],
      grant_types: ['client_credentials', 'authorization_code', 'refresh_token', 'urn:ietf:params:oauth:grant-type:token-exchange'],
    });
    const clientSecret = client.client_secret as string;
    const apiToken = await json(agent, port, 'POST', '/admin/v1/api-tokens', admin, { user: 'fuzz-user', name: 'fuzz', scopes: ['orders:read', 'tessera:tokens'] });
    const basicClient = { authorization: `Basic ${Buffer.from(`fuzz-client:${clientSecret}`).toString('base64')}` };
    const exchanged = await json(agent, port, 'POST', '/oauth/token', basicClient, {
      grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange', subject_token: apiToken.token as string,
      subject_token_type: 'urn:tessera:params:oauth:token-type:api_token',
    }, true);
    const pool: FuzzPool = {
      clientId: 'fuzz-client', clientSecret, adminToken, userToken: exchanged.access_token as string, apiToken: apiToken.token as string,
      refreshLike: `tsr_${'A'.repeat(43)}`, username: 'fuzz-user', password: 'fuzz-user-password',
      ids: [user.id as string, apiToken.id as string, 'fuzz-client', 'fuzzers', 'no-such-id'],
      redirectUri,
      adminOperations: await adminOperations(options.openapiPath ?? path.resolve('openapi.yaml')),
    };

    // Generated a batch at a time (batch i from seed + i), so that 100 000 inputs never sit in memory at once.
    const arbitrary = fuzzRequest(pool, options.only);
    let batch: FuzzRequest[] = [];
    let batchIndex = -1;
    const input = (n: number): FuzzRequest => {
      const wanted = Math.floor(n / BATCH);
      if (wanted !== batchIndex) {
        batchIndex = wanted;
        batch = fc.sample(arbitrary, { numRuns: Math.min(BATCH, options.inputs - wanted * BATCH), seed: options.seed + wanted });
      }
      return batch[n % BATCH]!;
    };
    const perEndpoint = Object.fromEntries(ENDPOINTS.map((e) => [e, 0])) as Record<Endpoint, number>;
    const statuses: Record<string, number> = {};
    const serverErrors: Finding[] = [];
    const stackTraces: Finding[] = [];
    const transportErrors: Finding[] = [];
    const timeMs = Object.fromEntries(ENDPOINTS.map((e) => [e, 0])) as Record<Endpoint, number>;
    const slowest = { ms: 0, request: '' };
    let retried = 0;
    let next = 0;
    let done = 0;
    const worker = async () => {
      while (next < options.inputs) {
        const r = input(next++);
        perEndpoint[r.endpoint]++;
        const headers = Object.fromEntries(Object.entries(r.headers).map(([k, v]) => [k, safeHeader(v)]));
        const sent = { ...r, path: toSafePath(r.path), headers };
        const t0 = Date.now();
        let answer: Answer | null = null;
        try {
          answer = await send(agent, port, sent);
        } catch (err) {
          if (headerBytes(sent) > limits.maxHeaderSize) {
            // Node answers 431 and closes at once; a client still writing its headers may see the reset first.
            statuses['cut (headers over the limit)'] = (statuses['cut (headers over the limit)'] ?? 0) + 1;
          } else {
            // A reused keep-alive connection may be closed by the server as the request goes out: once more on a new one.
            retried++;
            answer = await send(fresh, port, sent).catch((again: unknown) => {
              statuses.error = (statuses.error ?? 0) + 1;
              transportErrors.push({ request: describe(sent), status: null, body: '', reason: `${String(err)}; again: ${String(again)}` });
              return null;
            });
          }
        }
        if (answer) {
          timeMs[r.endpoint] += Date.now() - t0;
          if (Date.now() - t0 > slowest.ms) Object.assign(slowest, { ms: Date.now() - t0, request: `${sent.method} ${sent.path.slice(0, 120)} -> ${answer.status}` });
          statuses[answer.status] = (statuses[answer.status] ?? 0) + 1;
          if (answer.status >= 500) serverErrors.push({ request: describe(sent), status: answer.status, body: answer.body.slice(0, 500), reason: '5xx' });
          if (STACK_TRACE.test(answer.body)) stackTraces.push({ request: describe(sent), status: answer.status, body: answer.body.slice(0, 1000), reason: 'stack trace' });
        }
        if (++done % 10_000 === 0) options.onProgress?.(done, options.inputs);
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    const readyz = await send(agent, port, { method: 'GET', path: '/readyz', headers: {} });
    return {
      seed: options.seed, inputs: done, perEndpoint, statuses, serverErrors, stackTraces, transportErrors,
      errorLogLines, readyzAfter: readyz.status, elapsedMs: Date.now() - started,
      retried,
      meanMs: Object.fromEntries(ENDPOINTS.map((e) => [e, perEndpoint[e] ? Math.round((timeMs[e] / perEndpoint[e]) * 10) / 10 : 0])) as Record<Endpoint, number>,
      slowest,
    };
  } finally {
    agent.destroy();
    fresh.destroy();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    await tessera.close();
    await rm(keysDir, { recursive: true, force: true });
  }
}

/** The summary as printed by `npm run fuzz`. */
export function formatSummary(s: FuzzSummary): string {
  const lines = [
    `fuzz: ${s.inputs} inputs, seed ${s.seed}, ${(s.elapsedMs / 1000).toFixed(1)} s (${Math.round(s.inputs / (s.elapsedMs / 1000))} inputs/s)`,
    `per endpoint: ${Object.entries(s.perEndpoint).map(([k, v]) => `${k} ${v}`).join(', ')}`,
    `mean answer time, ms: ${Object.entries(s.meanMs).map(([k, v]) => `${k} ${v}`).join(', ')}; slowest ${s.slowest.ms} ms: ${s.slowest.request}`,
    `statuses: ${Object.entries(s.statuses).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `${k}: ${v}`).join(', ')}`,
    `5xx answers: ${s.serverErrors.length}; bodies with a stack trace: ${s.stackTraces.length}; transport errors: ${s.transportErrors.length} (${s.retried} sent again after a reset); error log lines: ${s.errorLogLines.length}`,
    `/readyz after: ${s.readyzAfter}`,
  ];
  for (const f of [...s.serverErrors, ...s.stackTraces, ...s.transportErrors].slice(0, 10)) {
    lines.push(`  ${f.reason} ${f.status ?? ''}: ${JSON.stringify(f.request).slice(0, 600)} -> ${f.body.slice(0, 300)}`);
  }
  for (const l of s.errorLogLines.slice(0, 5)) lines.push(`  log: ${l.slice(0, 400)}`);
  return lines.join('\n');
}

export function fuzzPassed(s: FuzzSummary): boolean {
  // An error line is a 5xx too, even one answered after the client gave up waiting.
  return s.serverErrors.length === 0 && s.stackTraces.length === 0 && s.transportErrors.length === 0 && s.errorLogLines.length === 0 && s.readyzAfter === 200;
}
