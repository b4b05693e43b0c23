// One round of load against one server: autocannon in its own process, so
// that neither the orchestrator nor a server shares its event loop or GC.
//   node bench/load-runner.mjs SPEC.json   -> prints one JSON result line
// SPEC: {url, method, path, headers, body, connections, duration}
// (Chained refresh-token rotations, and the issuance they are compared with, go
// through a client of their own: lean-runner.mjs.)
// The result also carries this process's own CPU time (runnerCpuUs), so that
// the report shows what the load generator cost next to what the server did.
import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';

const spec = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const url = new URL(spec.url);

const result = await autocannon({
  url: url.origin,
  connections: spec.connections,
  duration: spec.duration,
  pipelining: 1,
  timeout: 10,
  requests: [{ method: spec.method, path: spec.path, headers: spec.headers, body: spec.body }],
});

const cpu = process.cpuUsage();
const codes = {};
for (const [code, { count }] of Object.entries(result.statusCodeStats ?? {})) codes[code] = count;
process.stdout.write(`${JSON.stringify({
  total: result.requests.total,
  duration: result.duration,
  rps: result.requests.total / result.duration,
  p50: result.latency.p50,
  p99: result.latency.p99,
  mean: result.latency.average,
  non2xx: result.non2xx,
  errors: result.errors,
  timeouts: result.timeouts,
  badBodies: 0,
  statusCodes: codes,
  runnerCpuUs: cpu.user + cpu.system,
})}\n`);
