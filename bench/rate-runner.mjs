// Open-loop load at a fixed rate against one server, in its own process:
//   node bench/rate-runner.mjs SPEC.json   -> prints one JSON result line
// SPEC: {url, method, path, headers, body, rate, duration}
// Request i is due at start + i/rate whatever happened to the earlier ones
// (closed-loop load such as autocannon's waits for an answer before the next
// request, so a slow answer also delays the requests that would have shown
// it: coordinated omission). Each latency runs from when the request was
// due to the end of its answer; the generator's own lateness in sending
// (timers fire about every millisecond) is reported apart, as sendLag.
import http from 'node:http';
import { readFileSync } from 'node:fs';

const spec = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const url = new URL(spec.url);
const TIMEOUT_MS = 10_000;
const total = Math.max(1, Math.round(spec.rate * spec.duration));
const intervalNs = 1e9 / spec.rate;
const body = spec.body ?? '';
const headers = { ...spec.headers, ...(body ? { 'Content-Length': Buffer.byteLength(body) } : {}) };
// As many sockets as the answers in flight need: a server that falls behind gets more connections, as from real clients.
const agent = new http.Agent({ keepAlive: true, maxSockets: 4096 });

const latencies = [];
const sendLags = [];
const codes = {};
let errors = 0;
let timeouts = 0;
let non2xx = 0;
let sent = 0;
let finished = 0;
let allDone;
const done = new Promise((r) => (allDone = r));
const settle = () => { if (++finished === total) allDone(); };

function send(i, due) {
  sendLags.push(Number(process.hrtime.bigint() - due) / 1e6);
  const req = http.request({ agent, host: url.hostname, port: url.port, method: spec.method, path: spec.path, headers }, (res) => {
    res.resume();
    res.on('end', () => {
      latencies.push(Number(process.hrtime.bigint() - due) / 1e6);
      codes[res.statusCode] = (codes[res.statusCode] ?? 0) + 1;
      if (res.statusCode < 200 || res.statusCode > 299) non2xx++;
      settle();
    });
  });
  req.setTimeout(TIMEOUT_MS, () => { timeouts++; req.destroy(new Error('timeout')); });
  req.on('error', () => { errors++; settle(); });
  req.end(body);
}

const start = process.hrtime.bigint() + 20_000_000n;
function tick() {
  const now = process.hrtime.bigint();
  while (sent < total) {
    const due = start + BigInt(Math.round(sent * intervalNs));
    if (due > now) break;
    send(sent++, due);
  }
  if (sent < total) setTimeout(tick, 1);
}
setTimeout(tick, 20);
await done;
agent.destroy();

const pct = (xs, p) => {
  if (!xs.length) return null;
  const s = Float64Array.from(xs).sort();
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
};
const elapsed = Number(process.hrtime.bigint() - start) / 1e9;
process.stdout.write(`${JSON.stringify({
  rate: spec.rate, duration: spec.duration, total: latencies.length, sent, achievedRate: sent / spec.duration, elapsed,
  p50: pct(latencies, 50), p99: pct(latencies, 99), p999: pct(latencies, 99.9), max: pct(latencies, 100),
  sendLagP99: pct(sendLags, 99), errors, timeouts, non2xx, statusCodes: codes,
})}\n`);
