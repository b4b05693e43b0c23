// Starts the server processes the chosen scenarios need, each on its own
// port: Tessera first (the others read its JWKS or its Redis), then
// node-oidc-provider, the Express baseline and the two resource servers.
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { startProcess } from './procs.mjs';
import { AUDIENCE, CLIENT_ID, SCOPE, basic } from './seed.mjs';

const server = (name) => path.resolve('bench/servers', name);

export async function startOthers(ctx, needed) {
  const tessera = ctx.servers.tessera;
  const common = { NODE_ENV: 'production', PORT: '0' };
  const starts = [];
  if (needed.has('oidc')) {
    const secret = randomBytes(32).toString('base64url');
    ctx.oidcAuth = basic(CLIENT_ID, secret);
    starts.push(startProcess({
      name: 'oidc-provider', script: server('oidc-provider.mjs'),
      env: { ...common, BENCH_CLIENT_ID: CLIENT_ID, BENCH_CLIENT_SECRET: secret, BENCH_AUDIENCE: AUDIENCE, BENCH_SCOPE: SCOPE },
    }).then((p) => { ctx.servers.oidc = p; }));
  }
  if (needed.has('baseline')) {
    starts.push(startProcess({ name: 'express-baseline', script: server('express-baseline.mjs'), env: common }).then((p) => { ctx.servers.baseline = p; }));
  }
  const rs = { ...common, TESSERA_ISSUER: tessera?.url ?? '', AUDIENCE, REDIS_URL: ctx.redisUrl, TESSERA_REDIS_PREFIX: ctx.prefix };
  if (needed.has('verifier')) {
    starts.push(startProcess({ name: 'verifier-resource', script: server('verifier-resource.mjs'), env: rs }).then((p) => { ctx.servers.verifier = p; }));
  }
  if (needed.has('jose')) {
    starts.push(startProcess({ name: 'jose-resource', script: server('jose-resource.mjs'), env: rs }).then((p) => { ctx.servers.jose = p; }));
  }
  await Promise.all(starts);
}

export async function stopAll(ctx) {
  const servers = Object.values(ctx.servers);
  ctx.servers = {};
  await Promise.all(servers.map((s) => s.stop().catch(() => undefined)));
}
