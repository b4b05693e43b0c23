// Tessera as the benchmark runs it: `node dist/main.js` on Redis, in its
// production shape (rate-limit counters and the audit log on, as by default),
// with EdDSA keys in a temporary directory, logs at warn, and the rate-limit
// allowances raised so that the benchmark measures work, not 429s.
import path from 'node:path';
import { freePort, startProcess } from './procs.mjs';

export const MAIN = path.resolve('dist/main.js');
export const ADMIN_SECRET = 'bench-admin-secret-0123456789abcdef';
/** Counters still run on every request; the allowance is just never reached. */
export const RATE_LIMIT = '9999999/1';

export function tesseraEnv({ port, redisUrl, prefix, keysDir }) {
  return {
    NODE_ENV: 'production',
    PORT: String(port),
    HOST: '127.0.0.1',
    TESSERA_ISSUER: `http://127.0.0.1:${port}`,
    REDIS_URL: redisUrl,
    TESSERA_REDIS_PREFIX: prefix,
    TESSERA_KEYS_DIR: keysDir,
    TESSERA_SIGNING_ALG: 'EdDSA',
    TESSERA_BOOTSTRAP_ADMIN_SECRET: ADMIN_SECRET,
    TESSERA_LOG_LEVEL: 'warn',
    TESSERA_RATE_LIMIT_CLIENT: RATE_LIMIT,
    TESSERA_RATE_LIMIT_API_TOKEN: RATE_LIMIT,
    // The auth-costs phase sends failed client authentications on purpose.
    TESSERA_RATE_LIMIT_AUTH_FAILURES: RATE_LIMIT,
  };
}

/**
 * Starts Tessera; `profileDir` adds --cpu-prof (the profile is written when
 * it exits); `workers` sets TESSERA_WORKERS (its CPU is read over the whole
 * process tree, bench/lib/cpu.mjs); `env` adds or overrides variables.
 */
export async function startTessera({ redisUrl, prefix, keysDir, port, profileDir, workers = 1, env = {}, name = 'tessera' }) {
  const p = port ?? await freePort();
  const nodeArgs = profileDir ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : [];
  return startProcess({
    name, script: MAIN, nodeArgs,
    env: { ...tesseraEnv({ port: p, redisUrl, prefix, keysDir }), TESSERA_WORKERS: String(workers), ...env },
    readyUrl: `http://127.0.0.1:${p}/readyz`,
    // Workers start one after the other.
    timeoutMs: 30_000 * Math.max(1, Math.ceil(workers / 2)),
  });
}
