// Open-loop load at a fixed rate against one server, in its own process:
//   node bench/rate-runner.mjs SPEC.json   -> prints one JSON result line
// SPEC: {url, method, path, headers, body, rate, duration}
// Request i is due at start + i/rate whatever happened to the earlier ones
// (closed-loop load such as autocannon's waits for an answer before the next
// request, so a slow answer also delays the requests that would have shown
// it: coordinated omission). Each latency runs from when the request was
// due to the last byte of its answer; the generator's own lateness in
// sending (timers fire about every millisecond) is reported apart, as
// sendLag.
//
// The generator shares the machine with the server it measures, so it is
// kept lean: raw TCP sockets, the request bytes built once, answers parsed
// only as far as HTTP/1.1 framing needs (status line, Content-Length or
// chunked; bench/lib/http1-answer.mjs), no per-request objects beyond the
// answer's head text and a three-field result. A keep-alive
// connection carries one request at a time (no pipelining: a real client
// does not, and head-of-line blocking would distort the latencies); when
// every open connection is busy a new one is opened, as from real clients,
// so a server that falls behind gets more connections. Node's http client
// (an http.request, response stream and listeners per request) cost about
// three times the CPU per request and its garbage collections delayed sends.
import net from 'node:net';
import { readFileSync } from 'node:fs';
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import { AnswerReader } from './lib/http1-answer.mjs';

const spec = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const url = new URL(spec.url);
const host = url.hostname;
const port = Number(url.port || 80);
const TIMEOUT_MS = 10_000;
const total = Math.max(1, Math.round(spec.rate * spec.duration));
const intervalNs = 1e9 / spec.rate;
const body = Buffer.from(spec.body ?? '');

// The whole request, once. Host and Content-Length as an HTTP/1.1 client sends them (RFC 9112 section 3.2, section 6.3).
const head = [`${spec.method ?? 'GET'} ${spec.path ?? '/'} HTTP/1.1`, `Host: ${url.host}`];
for (const [k, v] of Object.entries(spec.headers ?? {})) {
  if (!/^(host|content-length|connection|transfer-encoding)$/i.test(k)) head.push(`${k}: ${v}`);
}
if (body.length || /^(POST|PUT|PATCH)$/i.test(spec.method ?? '')) head.push(`Content-Length: ${body.length}`);
head.push('Connection: keep-alive');
const REQUEST = Buffer.concat([Buffer.from(`${head.join('\r\n')}\r\n\r\n`, 'latin1'), body]);
const HEAD_ONLY = (spec.method ?? 'GET').toUpperCase() === 'HEAD';

const latencies = new Float64Array(total);
const sendLags = new Float64Array(total);
const codes = {};
let answered = 0;
let errors = 0;
let timeouts = 0;
let non2xx = 0;
let sent = 0;
let finished = 0;
let opened = 0;
let maxOpen = 0;
let allDone;
const done = new Promise((r) => (allDone = r));

const nowNs = () => process.hrtime.bigint();
const idle = [];
const live = new Set();

/** One keep-alive connection and the parse state of the answer it waits for. */
class Conn {
  constructor() {
    this.due = 0n;
    this.busy = false;
    this.reader = new AnswerReader({ headOnly: HEAD_ONLY });
    this.socket = net.connect({ host, port, noDelay: true });
    this.socket.on('data', (chunk) => this.onData(chunk));
    this.socket.on('error', () => {});
    this.socket.on('close', () => this.onClose());
    opened++;
    live.add(this);
    if (live.size > maxOpen) maxOpen = live.size;
  }

  send(due) {
    this.due = due;
    this.busy = true;
    this.reader.expect();
    this.socket.write(REQUEST);
  }

  onData(chunk) {
    const answer = this.reader.feed(chunk);
    if (answer === false) { this.fail(); return; } // not the answer framed (or bytes no request asked for)
    if (answer) this.complete(answer);
  }

  complete({ status, closeAfter }) {
    latencies[answered++] = Number(nowNs() - this.due) / 1e6;
    codes[status] = (codes[status] ?? 0) + 1;
    if (status > 299) non2xx++;
    this.busy = false;
    if (!closeAfter) idle.push(this);
    else this.socket.end();
    settle();
  }

  fail(timedOut = false) {
    if (this.busy) {
      this.busy = false;
      errors++;
      if (timedOut) timeouts++;
      settle();
    }
    this.socket.destroy();
  }

  onClose() {
    live.delete(this);
    const at = idle.indexOf(this);
    if (at >= 0) idle.splice(at, 1);
    if (this.busy) { this.busy = false; errors++; settle(); }
  }
}

function settle() {
  if (++finished === total) allDone();
}

function send(due) {
  sendLags[sent] = Number(nowNs() - due) / 1e6;
  sent++;
  (idle.pop() ?? new Conn()).send(due);
}

// What the generator itself costs and whether it stalled: its CPU per request, its GC pauses, its event-loop delay.
const gcPauses = [];
const gcObserver = new PerformanceObserver((list) => { for (const e of list.getEntries()) gcPauses.push(e.duration); });
gcObserver.observe({ entryTypes: ['gc'] });
const loopDelay = monitorEventLoopDelay({ resolution: 5 });

const start = nowNs() + 20_000_000n;
function tick() {
  const now = nowNs();
  while (sent < total) {
    const due = start + BigInt(Math.round(sent * intervalNs));
    if (due > now) break;
    send(due);
  }
  if (sent < total) setTimeout(tick, 1);
}
const timeoutCheck = setInterval(() => {
  const limit = nowNs() - BigInt(TIMEOUT_MS) * 1_000_000n;
  for (const c of live) if (c.busy && c.due < limit) c.fail(true);
}, 250);
// Time spent runnable but waiting for a CPU, by this generator and by anything on the machine (Linux PSI "some": the share of
// wall time in which at least one task waited): on a shared 2-core machine that waiting, not the server's work, makes the tail.
const readOr = (file, parse) => { try { return parse(readFileSync(file, 'utf8')); } catch { return null; } };
const runQueueNs = () => readOr('/proc/self/schedstat', (t) => Number(t.split(' ')[1]));
const pressureUs = () => readOr('/proc/pressure/cpu', (t) => Number(/^some .*total=(\d+)/m.exec(t)[1]));
const waitBefore = runQueueNs();
const pressureBefore = pressureUs();
const cpuBefore = process.cpuUsage();
loopDelay.enable();
setTimeout(tick, 20);
await done;
const elapsed = Number(nowNs() - start) / 1e9;
loopDelay.disable();
const cpu = process.cpuUsage(cpuBefore);
const waitAfter = runQueueNs();
const pressureAfter = pressureUs();
clearInterval(timeoutCheck);
for (const c of live) c.socket.destroy();
gcObserver.disconnect();

const pct = (xs, p) => {
  if (!xs.length) return null;
  const s = Float64Array.from(xs).sort();
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
};
const answers = latencies.subarray(0, answered);
process.stdout.write(`${JSON.stringify({
  rate: spec.rate, duration: spec.duration, total: answered, sent, achievedRate: sent / spec.duration, elapsed,
  p50: pct(answers, 50), p99: pct(answers, 99), p999: pct(answers, 99.9), max: pct(answers, 100),
  sendLagP99: pct(sendLags.subarray(0, sent), 99), sendLagMax: pct(sendLags.subarray(0, sent), 100),
  errors, timeouts, non2xx, statusCodes: codes, connections: opened, maxConnections: maxOpen,
  machineCpuPressure: pressureBefore === null || pressureAfter === null ? null : (pressureAfter - pressureBefore) / 1e6 / elapsed,
  generator: {
    cpuPerRequest: (cpu.user + cpu.system) / sent,
    gcCount: gcPauses.length, gcMs: gcPauses.reduce((a, b) => a + b, 0), gcMaxMs: gcPauses.length ? Math.max(...gcPauses) : 0,
    loopDelayP99Ms: loopDelay.percentile(99) / 1e6, loopDelayMaxMs: loopDelay.max / 1e6,
    runQueueMs: waitBefore === null || waitAfter === null ? null : (waitAfter - waitBefore) / 1e6,
  },
})}\n`);
