/**
 * TESSERA_METRICS_PORT on the real server process: /metrics is served on a
 * listener of its own (port 0: any free port, logged like the main one) and
 * not on the main port; the stop closes both.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { ensureBuilt } from '../support/build.js';
import { startServer } from '../support/process.js';

const TOKEN = 'process-metrics-token-0123456789';

let dir: string;
beforeAll(() => ensureBuilt('dist/main.js'), 180_000);
beforeEach(async () => { dir = await mkdtemp(path.join(os.tmpdir(), 'tessera-metrics-')); });
afterEach(async () => { await rm(dir, { recursive: true, force: true }); });

/** Whether something accepts TCP connections on 127.0.0.1:port. */
function accepting(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => { socket.destroy(); resolve(true); });
    socket.once('error', () => resolve(false));
  });
}

test('with TESSERA_METRICS_PORT=0 the metrics get a free port of their own, logged, and the main port answers 404', async () => {
  const server = await startServer({
    TESSERA_KEYS_DIR: path.join(dir, 'keys'), TESSERA_BOOTSTRAP_ADMIN_SECRET: 'an-admin-secret-for-metrics', TESSERA_METRICS_PORT: '0', TESSERA_METRICS_TOKEN: TOKEN,
  });
  let metricsPort = 0;
  try {
    const line = server.stdout().split('\n').find((l) => l.includes('metrics listening on port'));
    expect(line).toBeDefined();
    const logged = JSON.parse(line!) as { metrics_port: number; host: string; level: string };
    metricsPort = logged.metrics_port;
    expect(logged).toMatchObject({ host: '127.0.0.1', level: 'info' });
    expect(metricsPort).toBeGreaterThan(0);
    expect(metricsPort).not.toBe(server.port);

    const url = `http://127.0.0.1:${metricsPort}/metrics`;
    expect((await fetch(url)).status).toBe(401);
    const res = await fetch(url, { headers: { Authorization: `Bearer ${TOKEN}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const text = await res.text();
    expect(text).toContain('\ntessera_store_up 1\n');
    expect(text).toContain('\ntessera_signing_keys{state="active"} 1\n');
    expect(text).toMatch(/\nprocess_start_time_seconds \d+\n/);
    expect((await fetch(`http://127.0.0.1:${metricsPort}/healthz`)).status).toBe(404);

    const main = await fetch(`${server.url}/metrics`, { headers: { Authorization: `Bearer ${TOKEN}` } });
    expect(main.status).toBe(404);
    expect(await main.json()).toEqual({ error: 'not_found', error_description: 'no such endpoint' });
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  } finally {
    expect(await server.stop()).toBe(0);
  }
  expect(await accepting(metricsPort)).toBe(false);
});

test('without TESSERA_METRICS_PORT the main port serves /metrics and no other listener is logged', async () => {
  const server = await startServer({ TESSERA_KEYS_DIR: path.join(dir, 'keys'), TESSERA_BOOTSTRAP_ADMIN_SECRET: 'an-admin-secret-for-metrics' });
  try {
    const res = await fetch(`${server.url}/metrics`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('\ntessera_store_up 1\n');
    expect(server.stdout()).not.toContain('metrics listening');
    // Nothing guards it: the start says so, once, at warn.
    const warnings = server.stdout().split('\n').filter((l) => l.includes('GET /metrics is open'));
    expect(warnings.map((l) => (JSON.parse(l) as { level: string }).level)).toEqual(['warn']);
  } finally {
    expect(await server.stop()).toBe(0);
  }
});

test('with TESSERA_METRICS_TOKEN on the main port a scrape needs the token, and no warning is logged', async () => {
  const server = await startServer({ TESSERA_KEYS_DIR: path.join(dir, 'keys'), TESSERA_BOOTSTRAP_ADMIN_SECRET: 'an-admin-secret-for-metrics', TESSERA_METRICS_TOKEN: TOKEN });
  try {
    const refused = await fetch(`${server.url}/metrics`);
    expect(refused.status).toBe(401);
    expect(refused.headers.get('www-authenticate')).toBe('Bearer realm="metrics"');
    expect((await fetch(`${server.url}/metrics`, { headers: { Authorization: `Bearer ${TOKEN}` } })).status).toBe(200);
    expect(server.stdout()).not.toContain('GET /metrics is open');
  } finally {
    expect(await server.stop()).toBe(0);
  }
});
