// One round of load against one server over keep-alive connections, for the
// scenarios where autocannon's own cost would skew a comparison:
//   node bench/lean-runner.mjs SPEC.json   -> prints one JSON result line
// SPEC: {url, path, headers, body?, connections, duration, chain?: {tokens}}
// With `chain` (refresh-token rotation) each connection presents the refresh
// token it received in its previous answer; tokens whose request was cut off
// at the end are recovered (the server's grace window gives the same
// successor back), and the live tokens are returned for the next round.
// Without it every request sends `body` (client_credentials through the same
// client, what the rotation is compared with).
//
// Why not autocannon for the chain: a request whose body changes every time
// goes through autocannon's setupRequest, which rebuilds the whole request
// each time (its headers turned into lines again, a new buffer), and
// autocannon keeps every answer's body as a string. Measured on the 2-core
// bench machine, that took 1.6 to 2.5 times the load generator's CPU per
// request of a fixed request (102-167 µs against 60-96, round by round in
// one run), CPU the server under test did not get, so the rotation was
// compared with an issuance under a lighter load generator. This client
// writes the request's fixed part once and only the body per request, the
// same way for both, and reports in load-runner.mjs's shape, its own CPU
// included.
import net from 'node:net';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { AnswerReader } from './lib/http1-answer.mjs';

const spec = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const url = new URL(spec.url);
const TIMEOUT_MS = 10_000;
const MARK = '"refresh_token":"';

const head = `${spec.method ?? 'POST'} ${spec.path} HTTP/1.1\r\nHost: ${url.host}\r\n` +
  Object.entries(spec.headers ?? {}).map(([k, v]) => `${k}: ${v}\r\n`).join('');
const chained = Boolean(spec.chain);
const pool = chained ? [...spec.chain.tokens] : [];
const latencies = [];
const codes = {};
let total = 0;
let non2xx = 0;
let errors = 0;
let timeouts = 0;
let badBodies = 0;
let chainBroken = 0;
let running = true;

function refreshBody(token) {
  return `grant_type=refresh_token&refresh_token=${token}`;
}

/** One keep-alive connection: sends, reads the answer (bench/lib/http1-answer.mjs), sends the next. */
class Connection {
  token = chained ? pool.pop() ?? null : null;
  inflight = null;
  #socket = null;
  // The chained rotation reads the next token from the body; the fixed request needs none of it.
  #reader = new AnswerReader({ keepBody: chained });
  #sentAt = 0;
  #timer = null;
  #done = false;

  start() {
    const socket = net.connect({ host: url.hostname, port: Number(url.port), noDelay: true });
    this.#socket = socket;
    // Events of a socket this connection has replaced (after a failure) are ignored.
    socket.on('connect', () => { if (socket === this.#socket) this.#send(); });
    socket.on('data', (chunk) => { if (socket === this.#socket) this.#read(chunk); });
    socket.on('error', () => { if (socket === this.#socket) this.#fail('error'); });
    // A connection the server closed is opened again (a request in flight counts as failed).
    socket.on('close', () => {
      if (socket !== this.#socket || !running || this.#done) return;
      if (this.inflight) this.#fail('error');
      else this.start();
    });
  }

  #send() {
    if (!running) return;
    let body = spec.body ?? '';
    if (chained) {
      if (!this.token) this.token = pool.pop() ?? null;
      // Pool exhausted: count it as failed and stop this connection.
      if (!this.token) { non2xx++; this.#done = true; this.#socket.end(); return; }
      this.inflight = this.token;
      body = refreshBody(this.token);
    } else {
      this.inflight = true;
    }
    this.#sentAt = performance.now();
    this.#timer = setTimeout(() => this.#fail('timeout'), TIMEOUT_MS);
    this.#reader.expect();
    this.#socket.write(`${head}Content-Length: ${body.length}\r\n\r\n${body}`);
  }

  #read(chunk) {
    const answer = this.#reader.feed(chunk);
    if (answer === false) { this.#fail('error'); return; }
    if (!answer) return;
    const { status, body } = answer;
    clearTimeout(this.#timer);
    if (!running) return; // answered after the end: not counted, its token recovered below
    latencies.push(performance.now() - this.#sentAt);
    total++;
    codes[status] = (codes[status] ?? 0) + 1;
    if (status < 200 || status > 299) non2xx++;
    this.inflight = null;
    if (!chained) { this.#send(); return; }
    let next = null;
    if (status === 200) {
      const at = body.indexOf(MARK);
      next = at < 0 ? null : body.slice(at + MARK.length, body.indexOf('"', at + MARK.length));
      if (!next) badBodies++;
    }
    if (!next) { chainBroken++; next = pool.pop() ?? null; }
    this.token = next;
    this.#send();
  }

  #fail(kind) {
    clearTimeout(this.#timer);
    if (!running) return;
    if (kind === 'timeout') timeouts++; else errors++;
    this.#socket.destroy();
    // The token may or may not have been rotated: recovered at the end like a cut-off one.
    this.start();
  }

  stop() {
    this.#done = true;
    clearTimeout(this.#timer);
    this.#socket.destroy();
  }
}

const connections = Array.from({ length: spec.connections }, () => new Connection());
const started = performance.now();
for (const c of connections) c.start();
await new Promise((resolve) => setTimeout(resolve, spec.duration * 1000));
running = false;
const duration = (performance.now() - started) / 1000;
for (const c of connections) c.stop();

// A request cut off by the end of the run may have rotated its token: present it again
// within the grace window (TESSERA_REFRESH_GRACE) and keep the successor.
const tokens = chained ? [...pool] : undefined;
if (chained) await Promise.all(connections.map(async (c) => {
  if (!c.inflight) { if (c.token) tokens.push(c.token); return; }
  try {
    const res = await fetch(`${url.origin}${spec.path}`, { method: 'POST', headers: spec.headers, body: refreshBody(c.inflight) });
    const json = await res.json();
    if (res.status === 200 && json.refresh_token) tokens.push(json.refresh_token);
  } catch { /* lost: the orchestrator tops the pool up */ }
}));

latencies.sort((a, b) => a - b);
const at = (q) => (latencies.length ? Math.round(latencies[Math.min(latencies.length - 1, Math.ceil(q * latencies.length) - 1)] * 100) / 100 : 0);
const cpu = process.cpuUsage();
process.stdout.write(`${JSON.stringify({
  total,
  duration,
  rps: total / duration,
  p50: at(0.5),
  p99: at(0.99),
  mean: latencies.length ? latencies.reduce((a, b) => a + b, 0) / latencies.length : 0,
  non2xx,
  errors,
  timeouts,
  badBodies,
  chainBroken: chained ? chainBroken : undefined,
  statusCodes: codes,
  tokens,
  runnerCpuUs: cpu.user + cpu.system,
})}\n`);
