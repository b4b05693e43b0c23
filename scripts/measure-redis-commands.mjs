// Counts the Redis commands one client_credentials request and one refresh cost (MONITOR, filtered by this run's prefix / connections).
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { mkdtemp } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { Redis } from 'ioredis';
import { pino } from 'pino';
const dist = (p) => import(pathToFileURL(path.resolve('dist', p)).href);
const { loadConfig } = await dist('config/config.js');
const { createTessera } = await dist('server.js');
const { createStore } = await dist('store/create-store.js');
const prefix = `w14b-measure:${randomBytes(3).toString('hex')}:`;
const url = 'redis://127.0.0.1:6379';
const keysDir = await mkdtemp(path.join(os.tmpdir(), 'w14b-keys-'));
const env = { TESSERA_KEYS_DIR: keysDir, TESSERA_BOOTSTRAP_ADMIN_SECRET: 'admin-secret-for-tests-0123456789', TESSERA_KEYS_POLL_INTERVAL: '0', TESSERA_LOG_LEVEL: 'silent', TESSERA_PASSWORD_HASH_COST: '10', REDIS_URL: url, TESSERA_REDIS_PREFIX: prefix, ...JSON.parse(process.env.EXTRA_ENV ?? '{}') };
const config = loadConfig(env);
const store = await createStore({ redisUrl: url, prefix });
const t = await createTessera(config, { issuer: 'http://tessera.test', logger: pino({ level: 'silent' }), store, background: false });
const server = http.createServer(t.app);
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const base = `http://127.0.0.1:${server.address().port}`;
const basic = (id, s) => 'Basic ' + Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(s)}`).toString('base64');
async function token(id, secret, body) {
  const res = await fetch(`${base}/oauth/token`, { method: 'POST', headers: { authorization: basic(id, secret), 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(body) });
  const json = await res.json(); if (res.status !== 200) throw new Error(JSON.stringify(json)); return json;
}
const admin = (await token('tessera-admin', 'admin-secret-for-tests-0123456789', { grant_type: 'client_credentials' })).access_token;
await t.ctx.users.putRole('staff', ['orders:read']);
const user = await t.ctx.users.create({ username: `u${randomBytes(3).toString('hex')}`, password: 'correct horse battery', roles: ['staff'] });
const res = await fetch(`${base}/admin/v1/clients`, { method: 'POST', headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' }, body: JSON.stringify({ grant_types: ['client_credentials', 'refresh_token'], scopes: ['orders:read', 'offline_access'] }) });
const client = await res.json();
const N = 20;
// warm up (caches, scripts loaded)
for (let i = 0; i < 3; i++) await token(client.client_id, client.client_secret, { grant_type: 'client_credentials', scope: 'orders:read' });
let rt = (await t.ctx.refresh.startFamily({ clientId: client.client_id, userId: user.id, scopes: ['orders:read', 'offline_access'], authTime: Math.floor(Date.now() / 1000) })).token;
rt = (await token(client.client_id, client.client_secret, { grant_type: 'refresh_token', refresh_token: rt })).refresh_token;
await new Promise((r) => setTimeout(r, 1200));
const mon = await new Redis(url).monitor();
let lines = [];
mon.on('monitor', (time, args, source) => lines.push({ args, source }));
await new Promise((r) => setTimeout(r, 200));
// Commands the server sent (ioredis sends them in lower case) and the ones its scripts ran (upper case, as the Lua writes them).
const count = () => { const mine = lines.filter((l) => l.args.some((a) => String(a).includes(prefix))); const sources = new Set(mine.map((l) => l.source)); const all = lines.filter((l) => sources.has(l.source)); const byCmd = {}; let sent = 0; for (const l of all) { byCmd[l.args[0]] = (byCmd[l.args[0]] ?? 0) + 1; if (l.args[0] === String(l.args[0]).toLowerCase()) sent++; } return { n: all.length, sent, byCmd }; };
for (let i = 0; i < N; i++) await token(client.client_id, client.client_secret, { grant_type: 'client_credentials', scope: 'orders:read' });
await new Promise((r) => setTimeout(r, 1500));
const cc = count(); lines = [];
for (let i = 0; i < N; i++) rt = (await token(client.client_id, client.client_secret, { grant_type: 'refresh_token', refresh_token: rt })).refresh_token;
await new Promise((r) => setTimeout(r, 1500));
const rf = count();
console.log(JSON.stringify({ sentPerCc: cc.sent / N, sentPerRefresh: rf.sent / N, perCc: cc.n / N, ccByCmd: Object.fromEntries(Object.entries(cc.byCmd).map(([k, v]) => [k, v / N])), perRefresh: rf.n / N, refreshByCmd: Object.fromEntries(Object.entries(rf.byCmd).map(([k, v]) => [k, v / N])) }));
mon.disconnect();
server.close(); await t.close();
const r = new Redis(url); let cursor = '0'; do { const [c, keys] = await r.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000); cursor = c; if (keys.length) await r.del(...keys); } while (cursor !== '0'); r.disconnect();
process.exit(0);
