// One round of load against one server: autocannon in its own process, so
// that neither the orchestrator nor a server shares its event loop or GC.
//   node bench/load-runner.mjs SPEC.json   -> prints one JSON result line
// SPEC: {url, method, path, headers, body, connections, duration, chain?}
// With `chain` (refresh-token rotation) every connection presents the token
// it received in its previous answer; tokens whose request was cut off at
// the end are recovered (the server's grace window gives the same successor
// back), and the live tokens are returned for the next round.
import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';

const spec = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const url = new URL(spec.url);

const slots = new Set();
const pool = spec.chain ? [...spec.chain.tokens] : [];
let chainBroken = 0;
let badBodies = 0;

function refreshBody(token) {
  return `grant_type=refresh_token&refresh_token=${token}`;
}

const request = { method: spec.method, path: spec.path, headers: spec.headers, body: spec.body };
if (spec.chain) {
  // `slot` is deep-cloned per connection by autocannon and shared (not cloned) with the
  // request copy setupRequest sees, so it is each connection's own state.
  request.slot = {};
  request.setupRequest = (req, context) => {
    const slot = req.slot;
    if (!slots.has(slot)) slots.add(slot);
    if (!slot.token) slot.token = pool.pop() ?? null;
    if (!slot.token) return req; // pool exhausted: the request below is refused (counted as non-2xx)
    slot.inflight = slot.token;
    context.slot = slot;
    req.body = refreshBody(slot.token);
    return req;
  };
  request.onResponse = (status, body, context) => {
    const slot = context.slot;
    if (!slot) return;
    slot.inflight = null;
    let next = null;
    if (status === 200) {
      try { next = JSON.parse(body).refresh_token ?? null; } catch { next = null; }
      if (!next) badBodies++;
    }
    if (!next) { chainBroken++; next = pool.pop() ?? null; }
    slot.token = next;
  };
}

const result = await autocannon({
  url: url.origin,
  connections: spec.connections,
  duration: spec.duration,
  pipelining: 1,
  timeout: 10,
  requests: [request],
});

let tokens;
if (spec.chain) {
  // A request cut off by the end of the run may have rotated its token: present it again
  // within the grace window (TESSERA_REFRESH_GRACE) and keep the successor.
  tokens = [...pool];
  await Promise.all([...slots].map(async (slot) => {
    if (!slot.inflight) { if (slot.token) tokens.push(slot.token); return; }
    try {
      const res = await fetch(`${url.origin}${spec.path}`, { method: 'POST', headers: spec.headers, body: refreshBody(slot.inflight) });
      const json = await res.json();
      if (res.status === 200 && json.refresh_token) tokens.push(json.refresh_token);
    } catch { /* lost: the orchestrator tops the pool up */ }
  }));
}

const codes = {};
for (const [code, { count }] of Object.entries(result.statusCodeStats ?? {})) codes[code] = count;
const out = {
  total: result.requests.total,
  duration: result.duration,
  rps: result.requests.total / result.duration,
  p50: result.latency.p50,
  p99: result.latency.p99,
  mean: result.latency.average,
  non2xx: result.non2xx,
  errors: result.errors,
  timeouts: result.timeouts,
  badBodies,
  chainBroken: spec.chain ? chainBroken : undefined,
  statusCodes: codes,
  tokens,
};
process.stdout.write(`${JSON.stringify(out)}\n`);
