import { loadConfig } from '../../src/config/config.js';
import { ConfigError } from '../../src/core/errors.js';
import { availableParallelism } from 'node:os';
import { DEFAULT_PASSWORD_HASH_COST } from '../../src/core/crypto/password-hasher.js';

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

describe('configuration from the environment', () => {
  test('defaults are the contract table', () => {
    expect(loadConfig({})).toEqual({
      port: 8080, host: '127.0.0.1', issuer: null, redisUrl: null, redis: null, redisWait: { replicas: 1, timeoutMs: 500 },
      redisPrefix: 'tessera:', keysDir: './keys', keysPassphrase: null, keysStorage: 'dir', signingAlg: 'EdDSA', accessTokenTtl: 600, refreshTokenTtl: 2592000, configFile: null,
      logLevel: 'info',
      logFormat: 'auto', bootstrapAdminSecret: null, trustProxy: false, jwksMaxAge: 300, keysPollInterval: 2000, keyRotationInterval: null, keyRotationMargin: 60, clockSkew: 60, refreshGraceSeconds: 10,
      apiTokenMaxTtl: 7_776_000, apiTokenDefaultTtl: 2_592_000, apiTokenRetention: 2_592_000, auditRetention: 7_776_000,
      apiTokenExpiryWarnings: [604_800, 86_400], apiTokenUnusedAfter: 2_592_000, apiTokenUnusedAction: 'none', apiTokenUnusedGrace: 604_800,
      suspiciousUseAction: 'notify', suspiciousRateFactor: 10, suspiciousDormancy: 2_592_000, secretScanningKeys: null,
      rateLimitClient: { requests: 6000, perSeconds: 60 }, rateLimitAuthFailures: { requests: 20, perSeconds: 60 }, rateLimitApiToken: { requests: 600, perSeconds: 60 },
      metricsPort: null, metricsToken: null, console: true, shutdownTimeout: 10, workers: 1,
      redisAllowEviction: false, passwordHashCost: DEFAULT_PASSWORD_HASH_COST, passwordHashConcurrency: Math.min(4, availableParallelism()),
      clientAssertionMaxLifetime: 600, dpopIatWindow: 60, dpopRequireNonce: false,
      clientCacheTtl: 30, userCacheTtl: 30, usageFlushInterval: 1000,
      connections: { headersTimeoutMs: 10_000, requestTimeoutMs: 30_000, keepAliveTimeoutMs: 5_000, maxConnections: 10_000, maxHeadersCount: 100, maxHeaderSize: 16_384 },
    });
  });

  test('token hygiene: expiry warnings as a list of seconds (largest first) or none; the unused-token policy', () => {
    expect(loadConfig({ TESSERA_API_TOKEN_EXPIRY_WARNINGS: '3600,1209600,3600' }).apiTokenExpiryWarnings).toEqual([1_209_600, 3600]);
    expect(loadConfig({ TESSERA_API_TOKEN_EXPIRY_WARNINGS: 'none' }).apiTokenExpiryWarnings).toEqual([]);
    expect(loadConfig({ TESSERA_API_TOKEN_UNUSED_AFTER: '0' }).apiTokenUnusedAfter).toBeNull();
    expect(loadConfig({ TESSERA_API_TOKEN_UNUSED_ACTION: 'revoke', TESSERA_API_TOKEN_UNUSED_GRACE: '0' })).toMatchObject({ apiTokenUnusedAction: 'revoke', apiTokenUnusedGrace: 0 });
    const warnings = 'TESSERA_API_TOKEN_EXPIRY_WARNINGS: must be "none" or up to 10 comma-separated whole numbers of seconds from 60 to 31536000, e.g. 604800,86400';
    for (const bad of ['7d', '59', '604800,', '1,2,3,4,5,6,7,8,9,10,11', '31536001']) expect(problems({ TESSERA_API_TOKEN_EXPIRY_WARNINGS: bad })).toEqual([warnings]);
    expect(problems({ TESSERA_API_TOKEN_UNUSED_ACTION: 'delete', TESSERA_API_TOKEN_UNUSED_AFTER: '-1' })).toEqual([
      'TESSERA_API_TOKEN_UNUSED_AFTER: must be a whole number of seconds from 0 to 315360000 (0 = never call a token unused)',
      'TESSERA_API_TOKEN_UNUSED_ACTION: must be one of none, revoke, expire',
    ]);
  });

  test('suspicious use: off, notify or pause; the rate factor and the dormancy', () => {
    expect(loadConfig({ TESSERA_SUSPICIOUS_USE_ACTION: 'pause', TESSERA_SUSPICIOUS_RATE_FACTOR: '5', TESSERA_SUSPICIOUS_DORMANCY: '86400' }))
      .toMatchObject({ suspiciousUseAction: 'pause', suspiciousRateFactor: 5, suspiciousDormancy: 86_400 });
    expect(problems({ TESSERA_SUSPICIOUS_USE_ACTION: 'block', TESSERA_SUSPICIOUS_RATE_FACTOR: '1', TESSERA_SUSPICIOUS_DORMANCY: '60' })).toEqual([
      'TESSERA_SUSPICIOUS_USE_ACTION: must be one of off, notify, pause',
      'TESSERA_SUSPICIOUS_RATE_FACTOR: must be a whole number from 2 to 1000',
      'TESSERA_SUSPICIOUS_DORMANCY: must be a whole number of seconds from 3600 to 315360000',
    ]);
  });

  test('the object is frozen', () => {
    expect(Object.isFrozen(loadConfig({}))).toBe(true);
  });

  test('values are parsed and typed', () => {
    const c = loadConfig({ PORT: '0', TESSERA_ISSUER: 'https://auth.example.com/', REDIS_URL: 'rediss://:pw@r:6380/1', TESSERA_SIGNING_ALG: 'PS256', TESSERA_ACCESS_TOKEN_TTL: '300', TESSERA_TRUST_PROXY: 'loopback' });
    expect(c).toMatchObject({ port: 0, issuer: 'https://auth.example.com', redisUrl: 'rediss://:pw@r:6380/1', signingAlg: 'PS256', accessTokenTtl: 300, trustProxy: 'loopback' });
    expect(loadConfig({ TESSERA_TRUST_PROXY: '2' }).trustProxy).toBe(2);
    expect(loadConfig({ TESSERA_TRUST_PROXY: 'true' }).trustProxy).toBe(true);
  });

  test('empty values count as unset', () => {
    expect(loadConfig({ PORT: '', REDIS_URL: '' })).toMatchObject({ port: 8080, redisUrl: null });
  });

  test('each bad variable gives one line naming it and what is allowed', () => {
    expect(problems({ PORT: '70000', TESSERA_SIGNING_ALG: 'HS256', REDIS_URL: 'http://x', TESSERA_ISSUER: 'https://a.example.com?x=1', TESSERA_ACCESS_TOKEN_TTL: '-5', TESSERA_LOG_LEVEL: 'loud', TESSERA_BOOTSTRAP_ADMIN_SECRET: 'short' })).toEqual([
      'PORT: must be a port number from 0 to 65535 (0 = any free port)',
      'TESSERA_ISSUER: must be an http(s) URL with no query or fragment, e.g. https://auth.example.com',
      'REDIS_URL: must be a redis:// or rediss:// URL',
      'TESSERA_SIGNING_ALG: must be one of EdDSA, ES256, RS256, PS256',
      'TESSERA_ACCESS_TOKEN_TTL: must be a whole number of seconds from 1 to 86400',
      'TESSERA_LOG_LEVEL: must be one of fatal, error, warn, info, debug, trace, silent',
      'TESSERA_BOOTSTRAP_ADMIN_SECRET: must be at least 16 characters',
    ]);
  });

  test('a bad value is never echoed back', () => {
    const lines = problems({ TESSERA_BOOTSTRAP_ADMIN_SECRET: 'hunter2' });
    expect(lines.join('\n')).not.toContain('hunter2');
  });
});

describe('API token lifetimes', () => {
  test('are read from the environment', () => {
    const c = loadConfig({ TESSERA_API_TOKEN_MAX_TTL: '86400', TESSERA_API_TOKEN_DEFAULT_TTL: '3600', TESSERA_API_TOKEN_RETENTION: '0' });
    expect(c).toMatchObject({ apiTokenMaxTtl: 86_400, apiTokenDefaultTtl: 3_600, apiTokenRetention: 0 });
  });

  test('the default follows a smaller maximum', () => {
    expect(loadConfig({ TESSERA_API_TOKEN_MAX_TTL: '600' }).apiTokenDefaultTtl).toBe(600);
  });

  test('a default above the maximum is a config error naming the variable', () => {
    expect(() => loadConfig({ TESSERA_API_TOKEN_MAX_TTL: '600', TESSERA_API_TOKEN_DEFAULT_TTL: '3600' }))
      .toThrow(/^TESSERA_API_TOKEN_DEFAULT_TTL: must be at most TESSERA_API_TOKEN_MAX_TTL \(600\)$/);
    expect(() => loadConfig({ TESSERA_API_TOKEN_MAX_TTL: '10' })).toThrow(/^TESSERA_API_TOKEN_MAX_TTL: must be/);
  });
});

describe('rate limits', () => {
  test('are REQUESTS/SECONDS; anything else names the variable', () => {
    expect(loadConfig({ TESSERA_RATE_LIMIT_CLIENT: '100/10' }).rateLimitClient).toEqual({ requests: 100, perSeconds: 10 });
    for (const bad of ['100', '0/60', '10/0', 'many/60', '1.5/60']) {
      expect(() => loadConfig({ TESSERA_RATE_LIMIT_API_TOKEN: bad })).toThrow(/^TESSERA_RATE_LIMIT_API_TOKEN: must be REQUESTS\/SECONDS/);
    }
  });
});

describe('metrics and shutdown settings', () => {
  test('are read from the environment', () => {
    const c = loadConfig({ PORT: '8080', TESSERA_METRICS_PORT: '9464', TESSERA_METRICS_TOKEN: 'scrape-token-0123456789', TESSERA_SHUTDOWN_TIMEOUT: '25' });
    expect([c.metricsPort, c.metricsToken, c.shutdownTimeout]).toEqual([9464, 'scrape-token-0123456789', 25]);
  });

  test('the metrics port may not be the main port', () => {
    expect(problems({ PORT: '9000', TESSERA_METRICS_PORT: '9000' })).toEqual(['TESSERA_METRICS_PORT: must differ from PORT (9000)']);
    // 0 asks for any free port on each: they cannot clash.
    expect(loadConfig({ PORT: '0', TESSERA_METRICS_PORT: '0' }).metricsPort).toBe(0);
  });

  test('bad values name the variable and what is allowed', () => {
    expect(problems({ TESSERA_METRICS_PORT: '70000', TESSERA_METRICS_TOKEN: 'short', TESSERA_SHUTDOWN_TIMEOUT: '-1' })).toEqual([
      'TESSERA_METRICS_PORT: must be a port number from 0 to 65535 (0 = any free port), different from PORT',
      'TESSERA_METRICS_TOKEN: must be at least 16 characters',
      'TESSERA_SHUTDOWN_TIMEOUT: must be a whole number of seconds from 0 to 600',
    ]);
    expect(problems({ TESSERA_METRICS_TOKEN: 'has a space in it, sixteen+' })).toEqual(['TESSERA_METRICS_TOKEN: must be printable ASCII without spaces']);
  });
});

describe('password hashing settings', () => {
  test('default to the project default cost and at most 4 hashes at once; both can be set', () => {
    const c = loadConfig({});
    expect(c.passwordHashCost).toBe(DEFAULT_PASSWORD_HASH_COST);
    expect(c.passwordHashConcurrency).toBe(Math.min(4, availableParallelism()));
    const set = loadConfig({ TESSERA_PASSWORD_HASH_COST: '12', TESSERA_PASSWORD_HASH_CONCURRENCY: '8' });
    expect([set.passwordHashCost, set.passwordHashConcurrency]).toEqual([12, 8]);
  });

  test('bad values name the variable and what is allowed', () => {
    expect(problems({ TESSERA_PASSWORD_HASH_COST: '9', TESSERA_PASSWORD_HASH_CONCURRENCY: '0' })).toEqual([
      "TESSERA_PASSWORD_HASH_COST: must be a whole number from 10 to 20 (log2 of scrypt's N; 17 is OWASP's guidance)",
      'TESSERA_PASSWORD_HASH_CONCURRENCY: must be a whole number from 1 to 64',
    ]);
  });
});

describe('TESSERA_REDIS_ALLOW_EVICTION', () => {
  test('is false unless set to true; anything else names the variable', () => {
    expect(loadConfig({}).redisAllowEviction).toBe(false);
    expect(loadConfig({ TESSERA_REDIS_ALLOW_EVICTION: 'true' }).redisAllowEviction).toBe(true);
    expect(loadConfig({ TESSERA_REDIS_ALLOW_EVICTION: 'false' }).redisAllowEviction).toBe(false);
    expect(problems({ TESSERA_REDIS_ALLOW_EVICTION: 'yes' })).toEqual(['TESSERA_REDIS_ALLOW_EVICTION: must be true or false']);
  });
});

describe('TESSERA_CONSOLE', () => {
  test('is on unless set to false; anything else names the variable', () => {
    expect(loadConfig({}).console).toBe(true);
    expect(loadConfig({ TESSERA_CONSOLE: 'false' }).console).toBe(false);
    expect(loadConfig({ TESSERA_CONSOLE: 'true' }).console).toBe(true);
    expect(problems({ TESSERA_CONSOLE: 'off' })).toEqual(['TESSERA_CONSOLE: must be true or false']);
  });
});

describe('assertion and DPoP settings', () => {
  test('are read from the environment', () => {
    const c = loadConfig({ TESSERA_CLIENT_ASSERTION_MAX_LIFETIME: '120', TESSERA_DPOP_IAT_WINDOW: '30', TESSERA_DPOP_REQUIRE_NONCE: 'true' });
    expect([c.clientAssertionMaxLifetime, c.dpopIatWindow, c.dpopRequireNonce]).toEqual([120, 30, true]);
    expect(loadConfig({ TESSERA_DPOP_REQUIRE_NONCE: 'false' }).dpopRequireNonce).toBe(false);
  });

  test('bad values name the variable and what is allowed', () => {
    expect(problems({ TESSERA_CLIENT_ASSERTION_MAX_LIFETIME: '86400', TESSERA_DPOP_IAT_WINDOW: '1', TESSERA_DPOP_REQUIRE_NONCE: 'yes' })).toEqual([
      'TESSERA_CLIENT_ASSERTION_MAX_LIFETIME: must be a whole number of seconds from 10 to 3600',
      'TESSERA_DPOP_IAT_WINDOW: must be a whole number of seconds from 5 to 600',
      'TESSERA_DPOP_REQUIRE_NONCE: must be true or false',
    ]);
  });
});

describe('TESSERA_USAGE_FLUSH_INTERVAL', () => {
  test('is read in milliseconds, default 1000; anything else names the variable', () => {
    expect(loadConfig({ TESSERA_USAGE_FLUSH_INTERVAL: '250' }).usageFlushInterval).toBe(250);
    expect(loadConfig({ TESSERA_USAGE_FLUSH_INTERVAL: '' }).usageFlushInterval).toBe(1000);
    for (const bad of ['9', '60001', '1s', '-5']) {
      expect(problems({ TESSERA_USAGE_FLUSH_INTERVAL: bad })).toEqual(['TESSERA_USAGE_FLUSH_INTERVAL: must be a whole number of milliseconds from 10 to 60000']);
    }
  });
});

describe('Redis topology', () => {
  test('REDIS_URL alone is one server', () => {
    expect(loadConfig({ REDIS_URL: 'redis://r:6379/2' }).redis).toEqual({ mode: 'single', url: 'redis://r:6379/2' });
  });

  test('cluster nodes, with the credentials and TLS of REDIS_URL when given', () => {
    expect(loadConfig({ TESSERA_REDIS_CLUSTER_NODES: '10.0.0.1:7000, 10.0.0.2:7001,[::1]:7002' }).redis).toEqual({
      mode: 'cluster', url: null, nodes: [{ host: '10.0.0.1', port: 7000 }, { host: '10.0.0.2', port: 7001 }, { host: '::1', port: 7002 }],
    });
    expect(loadConfig({ TESSERA_REDIS_CLUSTER_NODES: 'a:1', REDIS_URL: 'rediss://u:p@ignored:1' }).redis).toEqual({
      mode: 'cluster', url: 'rediss://u:p@ignored:1', nodes: [{ host: 'a', port: 1 }],
    });
  });

  test('sentinels need the primary\'s name; the sentinel password is its own', () => {
    expect(loadConfig({ TESSERA_REDIS_SENTINELS: 's1:26379,s2:26379', TESSERA_REDIS_SENTINEL_NAME: 'mymaster', TESSERA_REDIS_SENTINEL_PASSWORD: 'sp' }).redis).toEqual({
      mode: 'sentinel', name: 'mymaster', url: null, sentinelPassword: 'sp', sentinels: [{ host: 's1', port: 26379 }, { host: 's2', port: 26379 }],
    });
  });

  test('wrong or conflicting settings name the variable and what to do', () => {
    expect(problems({ TESSERA_REDIS_CLUSTER_NODES: 'a:1,b', TESSERA_REDIS_SENTINELS: 'x:99999' })).toEqual([
      'TESSERA_REDIS_CLUSTER_NODES: must be host:port pairs separated by commas, e.g. 10.0.0.1:6379,10.0.0.2:6379',
      'TESSERA_REDIS_SENTINELS: must be host:port pairs separated by commas, e.g. 10.0.0.1:6379,10.0.0.2:6379',
    ]);
    expect(problems({ TESSERA_REDIS_CLUSTER_NODES: 'a:1', TESSERA_REDIS_SENTINELS: 'b:2', TESSERA_REDIS_SENTINEL_NAME: 'm' })).toEqual([
      'TESSERA_REDIS_SENTINELS: cannot be used with TESSERA_REDIS_CLUSTER_NODES (a Redis Cluster has no sentinels); set one of them',
    ]);
    expect(problems({ TESSERA_REDIS_SENTINELS: 'b:2' })).toEqual([
      'TESSERA_REDIS_SENTINEL_NAME: must be set with TESSERA_REDIS_SENTINELS (the name the sentinels monitor the primary under)',
    ]);
    expect(problems({ TESSERA_REDIS_SENTINEL_NAME: 'm' })).toEqual(['TESSERA_REDIS_SENTINEL_NAME: applies only with TESSERA_REDIS_SENTINELS']);
    expect(problems({ TESSERA_REDIS_CLUSTER_NODES: 'a:1', REDIS_URL: 'redis://h:1/3', TESSERA_REDIS_PREFIX: 'app:{x}:' })).toEqual([
      'REDIS_URL: must name no database (or 0) with TESSERA_REDIS_CLUSTER_NODES: a Redis Cluster has only database 0',
      'TESSERA_REDIS_PREFIX: must not contain { or } on a Redis Cluster (a hash tag in the prefix would put every key in one slot)',
    ]);
  });

  test('WAIT for replicas: how many and how long, 0 turns it off', () => {
    expect(loadConfig({ TESSERA_REDIS_WAIT_REPLICAS: '0', TESSERA_REDIS_WAIT_TIMEOUT: '250' }).redisWait).toEqual({ replicas: 0, timeoutMs: 250 });
    expect(problems({ TESSERA_REDIS_WAIT_REPLICAS: 'one', TESSERA_REDIS_WAIT_TIMEOUT: '5000' })).toEqual([
      'TESSERA_REDIS_WAIT_REPLICAS: must be a whole number of replicas from 0 to 16 (0 = never wait)',
      'TESSERA_REDIS_WAIT_TIMEOUT: must be a whole number of milliseconds from 10 to 1000',
    ]);
  });

  test('keys kept in the store need Redis and a passphrase of 16 characters or more', () => {
    const passphrase = 'correct horse battery staple';
    expect(loadConfig({ TESSERA_KEYS_STORAGE: 'store', REDIS_URL: 'redis://r:1', TESSERA_KEYS_PASSPHRASE: passphrase }).keysStorage).toBe('store');
    expect(problems({ TESSERA_KEYS_STORAGE: 'disk' })).toEqual([
      'TESSERA_KEYS_STORAGE: must be dir (TESSERA_KEYS_DIR) or store (in Redis, encrypted with TESSERA_KEYS_PASSPHRASE)',
    ]);
    expect(problems({ TESSERA_KEYS_STORAGE: 'store', TESSERA_KEYS_PASSPHRASE: 'short' })).toEqual([
      'TESSERA_KEYS_STORAGE: store needs Redis (REDIS_URL, TESSERA_REDIS_CLUSTER_NODES or TESSERA_REDIS_SENTINELS): the in-memory store is not shared',
      'TESSERA_KEYS_PASSPHRASE: must be set, 16 characters or more, with TESSERA_KEYS_STORAGE=store (it encrypts the keys kept in Redis)',
    ]);
  });
});

describe('TESSERA_WORKERS', () => {
  const REDIS = { REDIS_URL: 'redis://127.0.0.1:6379' };

  test('is 1 by default: this process serves', () => {
    expect(loadConfig({}).workers).toBe(1);
    expect(loadConfig({ TESSERA_WORKERS: ' ' }).workers).toBe(1);
  });

  test('a number, or auto for one worker per CPU the process may use', () => {
    expect(loadConfig({ ...REDIS, TESSERA_WORKERS: '4' }).workers).toBe(4);
    expect(loadConfig({ ...REDIS, TESSERA_WORKERS: 'auto' }).workers).toBe(availableParallelism());
    expect(loadConfig({ TESSERA_WORKERS: '1' }).workers).toBe(1);
  });

  test('more than one worker, or auto, is refused with the in-memory store: each worker would have its own', () => {
    const needsRedis = (value: string) => [
      `TESSERA_WORKERS: ${value} needs Redis (REDIS_URL, TESSERA_REDIS_CLUSTER_NODES or TESSERA_REDIS_SENTINELS): ` +
        'with the in-memory store each worker would have its own clients, tokens and revocations',
    ];
    expect(problems({ TESSERA_WORKERS: '2' })).toEqual(needsRedis('2'));
    expect(problems({ TESSERA_WORKERS: 'auto' })).toEqual(needsRedis('auto'));
  });

  test('bad values name the variable and what is allowed', () => {
    for (const bad of ['0', '-1', '1.5', 'all', '257']) {
      expect(problems({ ...REDIS, TESSERA_WORKERS: bad })).toEqual(['TESSERA_WORKERS: must be auto or a whole number from 1 to 256']);
    }
  });
});

describe('connection limits', () => {
  test('are read from the environment; a headers timeout above 30 s raises the default request timeout with it', () => {
    const c = loadConfig({
      TESSERA_HEADERS_TIMEOUT: '5000', TESSERA_REQUEST_TIMEOUT: '20000', TESSERA_KEEP_ALIVE_TIMEOUT: '65000',
      TESSERA_MAX_CONNECTIONS: '500', TESSERA_MAX_HEADERS_COUNT: '50', TESSERA_MAX_HEADER_SIZE: '8192',
    });
    expect(c.connections).toEqual({
      headersTimeoutMs: 5000, requestTimeoutMs: 20000, keepAliveTimeoutMs: 65000, maxConnections: 500, maxHeadersCount: 50, maxHeaderSize: 8192,
    });
    expect(loadConfig({ TESSERA_HEADERS_TIMEOUT: '45000' }).connections.requestTimeoutMs).toBe(45000);
  });

  test('bad values name the variable and what is allowed', () => {
    expect(problems({
      TESSERA_HEADERS_TIMEOUT: '10', TESSERA_REQUEST_TIMEOUT: 'soon', TESSERA_KEEP_ALIVE_TIMEOUT: '0',
      TESSERA_MAX_CONNECTIONS: '0', TESSERA_MAX_HEADERS_COUNT: '5000', TESSERA_MAX_HEADER_SIZE: '100',
    })).toEqual([
      'TESSERA_HEADERS_TIMEOUT: must be a whole number of milliseconds from 100 to 600000',
      'TESSERA_REQUEST_TIMEOUT: must be a whole number of milliseconds from 100 to 3600000, at least TESSERA_HEADERS_TIMEOUT',
      'TESSERA_KEEP_ALIVE_TIMEOUT: must be a whole number of milliseconds from 100 to 600000',
      'TESSERA_MAX_CONNECTIONS: must be a whole number from 1 to 1000000',
      'TESSERA_MAX_HEADERS_COUNT: must be a whole number from 10 to 1000',
      'TESSERA_MAX_HEADER_SIZE: must be a whole number of bytes from 1024 to 1048576',
    ]);
    expect(problems({ TESSERA_HEADERS_TIMEOUT: '20000', TESSERA_REQUEST_TIMEOUT: '10000' })).toEqual([
      'TESSERA_HEADERS_TIMEOUT: must be at most TESSERA_REQUEST_TIMEOUT (10000)',
    ]);
  });
});
