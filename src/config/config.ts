/**
 * Configuration from environment variables (contract: "Starting it"),
 * parsed once by zod into a typed, frozen object. A bad value is reported as
 * one line per variable, naming it and what is allowed; the process then
 * exits with code 2 (see src/main.ts).
 */
import { availableParallelism } from 'node:os';
import { z } from 'zod';
import { ConfigError } from '../core/errors.js';
import { MAX_CLOCK_TOLERANCE_SECONDS } from '../core/tokens/clock-tolerance.js';
import { DEFAULT_PASSWORD_HASH_COST, MAX_PASSWORD_HASH_COST, MIN_PASSWORD_HASH_COST } from '../core/crypto/password-hasher.js';
import { SIGNING_ALGS, type SigningAlg } from '../core/keys/types.js';
import type { RateLimitRule } from '../store/rate-limit-records.js';
import type { WaitPolicy } from '../store/redis/durable-writes.js';
import type { RedisTopology } from '../store/redis/topology.js';
import type { ConnectionLimits } from '../http/http-server.js';
import { parseDurationSeconds } from './duration.js';
import { redisSettings, RedisEnvFields } from './redis-config.js';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
const LOG_FORMATS = ['auto', 'json', 'pretty'] as const;

const blankToUndefined = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);

const integer = (min: number, max: number, what: string) =>
  z.preprocess(
    blankToUndefined,
    z
      .string()
      .regex(/^\d+$/, `must be ${what}`)
      .transform(Number)
      .refine((n) => n >= min && n <= max, `must be ${what}`)
      .optional(),
  );

/** More processes than this would only share the same cores and Redis connections. */
export const MAX_WORKERS = 256;

const text = z.preprocess(blankToUndefined, z.string().optional());

const issuerUrl = z.preprocess(
  blankToUndefined,
  z
    .string()
    .refine((v) => {
      try {
        const u = new URL(v);
        // RFC 8414 §2: the issuer has no query or fragment.
        return (u.protocol === 'https:' || u.protocol === 'http:') && !u.search && !u.hash && !v.includes('#') && !v.includes('?');
      } catch {
        return false;
      }
    }, 'must be an http(s) URL with no query or fragment, e.g. https://auth.example.com')
    .transform((v) => v.replace(/\/+$/, ''))
    .optional(),
);

const redisUrl = z.preprocess(
  blankToUndefined,
  z
    .string()
    .refine((v) => /^rediss?:\/\/./.test(v) && URL.canParse(v), 'must be a redis:// or rediss:// URL')
    .optional(),
);

const trustProxy = z.preprocess(
  blankToUndefined,
  z
    .string()
    .regex(/^[\w.:/, -]+$/, 'must be an Express "trust proxy" value: false, true, a hop count, or a list of addresses/CIDRs/loopback,linklocal,uniquelocal')
    .optional(),
);

const RATE_RULE = 'must be REQUESTS/SECONDS with whole numbers from 1, e.g. 600/60';
const rateRule = z.preprocess(
  blankToUndefined,
  z.string().regex(/^\d{1,7}\/\d{1,5}$/, RATE_RULE)
    .transform((v) => { const [requests, perSeconds] = v.split('/').map(Number) as [number, number]; return { requests, perSeconds }; })
    .refine((r) => r.requests >= 1 && r.perSeconds >= 1, RATE_RULE)
    .optional(),
);

const UNUSED_ACTIONS = ['none', 'revoke', 'expire'] as const;
const SUSPICIOUS_ACTIONS = ['off', 'notify', 'pause'] as const;
const WARNINGS = 'must be "none" or up to 10 comma-separated whole numbers of seconds from 60 to 31536000, e.g. 604800,86400';
const expiryWarnings = z.preprocess(
  blankToUndefined,
  z.string()
    .regex(/^(none|\d{1,9}(,\d{1,9}){0,9})$/, WARNINGS)
    .transform((v) => (v === 'none' ? [] : [...new Set(v.split(',').map(Number))].sort((a, b) => b - a)))
    .refine((ws) => ws.every((w) => w >= 60 && w <= 31_536_000), WARNINGS)
    .optional(),
);

const durationText = (min: number, max: number, what: string) =>
  z.preprocess(
    blankToUndefined,
    z.string()
      .transform((v, ctx) => {
        const seconds = parseDurationSeconds(v);
        if (seconds === null || seconds < min || seconds > max) {
          ctx.addIssue({ code: 'custom', message: `must be ${what}` });
          return z.NEVER;
        }
        return seconds;
      })
      .optional(),
  );

const ROTATION_INTERVAL = 'off, or a duration from 1s to 3650d: a whole number with s, m, h or d, e.g. 30d';
const rotationInterval = z.preprocess(
  blankToUndefined,
  z.string()
    .transform((v, ctx) => {
      if (v.trim() === 'off') return null;
      const seconds = parseDurationSeconds(v);
      if (seconds === null || seconds < 1 || seconds > 3650 * 86_400) {
        ctx.addIssue({ code: 'custom', message: `must be ${ROTATION_INTERVAL}` });
        return z.NEVER;
      }
      return seconds;
    })
    .optional(),
);

const flag = z.preprocess(
  blankToUndefined,
  z.enum(['true', 'false'], { error: 'must be true or false' }).transform((v) => v === 'true').optional(),
);

const EnvSchema = z.object({
  PORT: integer(0, 65535, 'a port number from 0 to 65535 (0 = any free port)'),
  HOST: text,
  TESSERA_ISSUER: issuerUrl,
  REDIS_URL: redisUrl,
  TESSERA_REDIS_PREFIX: text,
  TESSERA_KEYS_DIR: text,
  TESSERA_KEYS_PASSPHRASE: text,
  TESSERA_SIGNING_ALG: z.preprocess(
    blankToUndefined,
    z.enum(SIGNING_ALGS, { error: `must be one of ${SIGNING_ALGS.join(', ')}` }).optional(),
  ),
  TESSERA_ACCESS_TOKEN_TTL: integer(1, 86_400, 'a whole number of seconds from 1 to 86400'),
  TESSERA_REFRESH_TOKEN_TTL: integer(60, 31_536_000, 'a whole number of seconds from 60 to 31536000'),
  TESSERA_USAGE_FLUSH_INTERVAL: integer(10, 60_000, 'a whole number of milliseconds from 10 to 60000'),
  TESSERA_CLIENT_CACHE_TTL: integer(0, 3_600, 'a whole number of seconds from 0 (no cache) to 3600'),
  TESSERA_USER_CACHE_TTL: integer(0, 3_600, 'a whole number of seconds from 0 (no cache) to 3600'),
  TESSERA_CONFIG: text,
  TESSERA_LOG_LEVEL: z.preprocess(
    blankToUndefined,
    z.enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(', ')}` }).optional(),
  ),
  TESSERA_BOOTSTRAP_ADMIN_SECRET: z.preprocess(
    blankToUndefined,
    z.string().min(16, 'must be at least 16 characters').optional(),
  ),
  TESSERA_TRUST_PROXY: trustProxy,
  TESSERA_JWKS_MAX_AGE: integer(0, 86_400, 'a whole number of seconds from 0 to 86400'),
  TESSERA_KEYS_POLL_INTERVAL: integer(0, 3_600_000, 'a whole number of milliseconds from 0 to 3600000 (0 = no polling)'),
  TESSERA_KEY_ROTATION_INTERVAL: rotationInterval,
  TESSERA_KEY_ROTATION_MARGIN: durationText(0, 7 * 86_400, 'a duration from 0s to 7d: a whole number with s, m, h or d, e.g. 60s'),
  TESSERA_CLOCK_SKEW: integer(0, MAX_CLOCK_TOLERANCE_SECONDS, `a whole number of seconds from 0 to ${MAX_CLOCK_TOLERANCE_SECONDS}`),
  TESSERA_REFRESH_GRACE: integer(0, 60, 'a whole number of seconds from 0 to 60 (0 = no grace window)'),
  TESSERA_API_TOKEN_MAX_TTL: integer(60, 315_360_000, 'a whole number of seconds from 60 to 315360000 (10 years)'),
  TESSERA_API_TOKEN_DEFAULT_TTL: integer(60, 315_360_000, 'a whole number of seconds from 60 to 315360000, at most TESSERA_API_TOKEN_MAX_TTL'),
  TESSERA_API_TOKEN_RETENTION: integer(0, 315_360_000, 'a whole number of seconds from 0 to 315360000'),
  TESSERA_API_TOKEN_EXPIRY_WARNINGS: expiryWarnings,
  TESSERA_API_TOKEN_UNUSED_AFTER: integer(0, 315_360_000, 'a whole number of seconds from 0 to 315360000 (0 = never call a token unused)'),
  TESSERA_API_TOKEN_UNUSED_ACTION: z.preprocess(
    blankToUndefined,
    z.enum(UNUSED_ACTIONS, { error: `must be one of ${UNUSED_ACTIONS.join(', ')}` }).optional(),
  ),
  TESSERA_API_TOKEN_UNUSED_GRACE: integer(0, 31_536_000, 'a whole number of seconds from 0 to 31536000'),
  TESSERA_SUSPICIOUS_USE_ACTION: z.preprocess(
    blankToUndefined,
    z.enum(SUSPICIOUS_ACTIONS, { error: `must be one of ${SUSPICIOUS_ACTIONS.join(', ')}` }).optional(),
  ),
  TESSERA_SUSPICIOUS_RATE_FACTOR: integer(2, 1000, 'a whole number from 2 to 1000'),
  TESSERA_SUSPICIOUS_DORMANCY: integer(3600, 315_360_000, 'a whole number of seconds from 3600 to 315360000'),
  TESSERA_SECRET_SCANNING_KEYS: text,
  TESSERA_AUDIT_RETENTION: integer(60, 315_360_000, 'a whole number of seconds from 60 to 315360000'),
  TESSERA_RATE_LIMIT_CLIENT: rateRule,
  TESSERA_RATE_LIMIT_AUTH_FAILURES: rateRule,
  TESSERA_RATE_LIMIT_API_TOKEN: rateRule,
  TESSERA_METRICS_PORT: integer(0, 65535, 'a port number from 0 to 65535 (0 = any free port), different from PORT'),
  TESSERA_METRICS_TOKEN: z.preprocess(
    blankToUndefined,
    z.string().min(16, 'must be at least 16 characters').regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces').optional(),
  ),
  TESSERA_CONSOLE: flag,
  TESSERA_SHUTDOWN_TIMEOUT: integer(0, 600, 'a whole number of seconds from 0 to 600'),
  TESSERA_WORKERS: z.preprocess(
    blankToUndefined,
    z
      .string()
      .regex(/^(auto|\d+)$/, `must be auto or a whole number from 1 to ${MAX_WORKERS}`)
      .refine((v) => v === 'auto' || (Number(v) >= 1 && Number(v) <= MAX_WORKERS), `must be auto or a whole number from 1 to ${MAX_WORKERS}`)
      .optional(),
  ),
  TESSERA_REDIS_ALLOW_EVICTION: z.preprocess(
    blankToUndefined,
    z.enum(['true', 'false'], { error: 'must be true or false' }).optional(),
  ),
  TESSERA_PASSWORD_HASH_COST: integer(MIN_PASSWORD_HASH_COST, MAX_PASSWORD_HASH_COST,
    `a whole number from ${MIN_PASSWORD_HASH_COST} to ${MAX_PASSWORD_HASH_COST} (log2 of scrypt's N; 17 is OWASP's guidance)`),
  TESSERA_PASSWORD_HASH_CONCURRENCY: integer(1, 64, 'a whole number from 1 to 64'),
  TESSERA_LOG_FORMAT: z.preprocess(
    blankToUndefined,
    z.enum(LOG_FORMATS, { error: `must be one of ${LOG_FORMATS.join(', ')}` }).optional(),
  ),
  TESSERA_CLIENT_ASSERTION_MAX_LIFETIME: integer(10, 3600, 'a whole number of seconds from 10 to 3600'),
  TESSERA_DPOP_IAT_WINDOW: integer(5, 600, 'a whole number of seconds from 5 to 600'),
  TESSERA_DPOP_REQUIRE_NONCE: flag,
  TESSERA_HEADERS_TIMEOUT: integer(100, 600_000, 'a whole number of milliseconds from 100 to 600000'),
  TESSERA_REQUEST_TIMEOUT: integer(100, 3_600_000, 'a whole number of milliseconds from 100 to 3600000, at least TESSERA_HEADERS_TIMEOUT'),
  TESSERA_KEEP_ALIVE_TIMEOUT: integer(100, 600_000, 'a whole number of milliseconds from 100 to 600000'),
  TESSERA_MAX_CONNECTIONS: integer(1, 1_000_000, 'a whole number from 1 to 1000000'),
  TESSERA_MAX_HEADERS_COUNT: integer(10, 1000, 'a whole number from 10 to 1000'),
  TESSERA_MAX_HEADER_SIZE: integer(1024, 1_048_576, 'a whole number of bytes from 1024 to 1048576'),
  ...RedisEnvFields,
});

/** Every variable the server reads. */
export const CONFIG_VARIABLES: readonly string[] = Object.keys(EnvSchema.shape);

export interface Config {
  readonly port: number;
  readonly host: string;
  /** Null when TESSERA_ISSUER is unset: then it is http://localhost:<the port listened on>. */
  readonly issuer: string | null;
  readonly redisUrl: string | null;
  /** Where the store is: one server, a Cluster or a Sentinel-managed primary; null = in memory. */
  readonly redis: RedisTopology | null;
  /** WAIT for replicas after security-critical writes (TESSERA_REDIS_WAIT_REPLICAS, TESSERA_REDIS_WAIT_TIMEOUT). */
  readonly redisWait: WaitPolicy;
  readonly redisPrefix: string;
  readonly keysDir: string;
  readonly keysPassphrase: string | null;
  /** `dir`: key files in keysDir; `store`: envelope-encrypted in Redis, shared by every instance. */
  readonly keysStorage: 'dir' | 'store';
  readonly signingAlg: SigningAlg;
  readonly accessTokenTtl: number;
  readonly refreshTokenTtl: number;
  /** Seconds a client record stays in an instance's cache at most (changes reach every instance at once over pub/sub); 0 = no cache. */
  readonly clientCacheTtl: number;
  /** Seconds a user or role record stays in an instance's cache at most (changes reach every instance at once over pub/sub); 0 = no cache. */
  readonly userCacheTtl: number;
  /** Milliseconds between two writes of the usage counts gathered in memory (introspection's per-route and per-scope uses). */
  readonly usageFlushInterval: number;
  readonly configFile: string | null;
  readonly logLevel: (typeof LOG_LEVELS)[number];
  /** `auto`: readable at a terminal, JSON lines otherwise. */
  readonly logFormat: (typeof LOG_FORMATS)[number];
  readonly bootstrapAdminSecret: string | null;
  readonly trustProxy: boolean | number | string;
  readonly jwksMaxAge: number;
  readonly keysPollInterval: number;
  /** Seconds between scheduled key rotations (TESSERA_KEY_ROTATION_INTERVAL); null = no schedule. */
  readonly keyRotationInterval: number | null;
  /** Seconds a next key stays published beyond the JWKS max-age before it signs. */
  readonly keyRotationMargin: number;
  readonly clockSkew: number;
  /** Seconds after a rotation during which a retry of the old refresh token gets the same successor. */
  readonly refreshGraceSeconds: number;
  /** Longest lifetime an API token may be given, seconds. */
  readonly apiTokenMaxTtl: number;
  /** Lifetime of an API token created without an expiry, seconds. */
  readonly apiTokenDefaultTtl: number;
  /** How long revoked and expired API tokens stay listed, seconds. */
  readonly apiTokenRetention: number;
  /** Seconds before an API token's expiry at which `api_token.expiring` is sent, largest first; empty: never. */
  readonly apiTokenExpiryWarnings: readonly number[];
  /** Seconds without a use after which an API token counts as unused; null: never. */
  readonly apiTokenUnusedAfter: number | null;
  /** What the unused-token policy does once the grace after its warning has passed. */
  readonly apiTokenUnusedAction: (typeof UNUSED_ACTIONS)[number];
  /** Seconds between the unused warning and the policy's action. */
  readonly apiTokenUnusedGrace: number;
  /** Suspicious use of API tokens: `off` (no baselines), `notify` (events), `pause` (events, and the token is paused). */
  readonly suspiciousUseAction: (typeof SUSPICIOUS_ACTIONS)[number];
  /** Uses this many times the usual hourly rate are suspicious. */
  readonly suspiciousRateFactor: number;
  /** Seconds without a use after which the next use is suspicious. */
  readonly suspiciousDormancy: number;
  /** GitHub's secret-scanning public keys document: a file path or an http(s) URL; null disables POST /oauth/leaked/github. */
  readonly secretScanningKeys: string | null;
  /** How long audit events are kept, seconds. */
  readonly auditRetention: number;
  /** Token requests per client. */
  readonly rateLimitClient: RateLimitRule;
  /** Failed client authentications per IP before that IP is refused for a while. */
  readonly rateLimitAuthFailures: RateLimitRule;
  /** Uses of an API token that has no limit of its own. */
  readonly rateLimitApiToken: RateLimitRule;
  /** When set, /metrics is served on this port (on HOST) only, and not on PORT. */
  readonly metricsPort: number | null;
  /** When set, /metrics asks for `Authorization: Bearer <this>`. */
  readonly metricsToken: string | null;
  /** The web console at /console and its built-in client `tessera-console` (default on). */
  readonly console: boolean;
  /** Seconds that in-flight requests get to finish after SIGTERM before the process exits anyway. */
  readonly shutdownTimeout: number;
  /** Worker processes serving PORT together (node:cluster); 1 = this process serves, with no primary. */
  readonly workers: number;
  /** Start (and stay ready) on a Redis whose maxmemory-policy may evict keys. */
  readonly redisAllowEviction: boolean;
  /** log2 of scrypt's N for passwords and chosen client secrets. */
  readonly passwordHashCost: number;
  /** Password hashes computed at once (each holds 128 · 2^cost · 8 bytes). */
  readonly passwordHashConcurrency: number;
  /** Longest lifetime (exp − iat) of a private_key_jwt client assertion, seconds. */
  readonly clientAssertionMaxLifetime: number;
  /** How far a DPoP proof's iat may be from now, either way, seconds. */
  readonly dpopIatWindow: number;
  /** Every DPoP proof at the token endpoint must carry a server nonce (RFC 9449 §8). */
  readonly dpopRequireNonce: boolean;
  /** What one client connection may hold of the server (src/http/http-server.ts). */
  readonly connections: ConnectionLimits;
}

function parseTrustProxy(value: string | undefined): boolean | number | string {
  if (value === undefined || value === 'false') return false;
  if (value === 'true') return true;
  if (/^\d+$/.test(value)) return Number(value);
  return value;
}

/** Parses the environment; throws ConfigError with one line per bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv): Config {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    const lines = new Map<string, string>();
    for (const issue of parsed.error.issues) {
      const name = String(issue.path[0] ?? 'environment');
      if (!lines.has(name)) lines.set(name, `${name}: ${issue.message}`);
    }
    throw new ConfigError([...lines.values()]);
  }
  const e = parsed.data;
  const apiTokenMaxTtl = e.TESSERA_API_TOKEN_MAX_TTL ?? 7_776_000;
  const apiTokenDefaultTtl = e.TESSERA_API_TOKEN_DEFAULT_TTL ?? Math.min(2_592_000, apiTokenMaxTtl);
  if (apiTokenDefaultTtl > apiTokenMaxTtl) {
    throw new ConfigError([`TESSERA_API_TOKEN_DEFAULT_TTL: must be at most TESSERA_API_TOKEN_MAX_TTL (${apiTokenMaxTtl})`]);
  }
  const redis = redisSettings(e);
  if ('problems' in redis) throw new ConfigError(redis.problems);
  const port = e.PORT ?? 8080;
  if (e.TESSERA_METRICS_PORT !== undefined && e.TESSERA_METRICS_PORT !== 0 && e.TESSERA_METRICS_PORT === port) {
    throw new ConfigError([`TESSERA_METRICS_PORT: must differ from PORT (${port})`]);
  }
  // `auto`: one worker per CPU the process may use (os.availableParallelism honours affinity).
  const workers = e.TESSERA_WORKERS === undefined ? 1 : e.TESSERA_WORKERS === 'auto' ? availableParallelism() : Number(e.TESSERA_WORKERS);
  if (redis.redis === null && (e.TESSERA_WORKERS === 'auto' || workers > 1)) {
    throw new ConfigError([
      `TESSERA_WORKERS: ${e.TESSERA_WORKERS} needs Redis (REDIS_URL, TESSERA_REDIS_CLUSTER_NODES or TESSERA_REDIS_SENTINELS): ` +
        'with the in-memory store each worker would have its own clients, tokens and revocations',
    ]);
  }
  const headersTimeoutMs = e.TESSERA_HEADERS_TIMEOUT ?? 10_000;
  const requestTimeoutMs = e.TESSERA_REQUEST_TIMEOUT ?? Math.max(30_000, headersTimeoutMs);
  if (headersTimeoutMs > requestTimeoutMs) {
    throw new ConfigError([`TESSERA_HEADERS_TIMEOUT: must be at most TESSERA_REQUEST_TIMEOUT (${requestTimeoutMs})`]);
  }
  return Object.freeze({
    port,
    host: e.HOST ?? '127.0.0.1',
    issuer: e.TESSERA_ISSUER ?? null,
    redisUrl: e.REDIS_URL ?? null,
    redis: redis.redis,
    redisWait: Object.freeze(redis.redisWait),
    redisPrefix: e.TESSERA_REDIS_PREFIX ?? 'tessera:',
    keysDir: e.TESSERA_KEYS_DIR ?? './keys',
    keysPassphrase: e.TESSERA_KEYS_PASSPHRASE ?? null,
    keysStorage: redis.keysStorage,
    signingAlg: e.TESSERA_SIGNING_ALG ?? 'EdDSA',
    accessTokenTtl: e.TESSERA_ACCESS_TOKEN_TTL ?? 600,
    refreshTokenTtl: e.TESSERA_REFRESH_TOKEN_TTL ?? 2_592_000,
    clientCacheTtl: e.TESSERA_CLIENT_CACHE_TTL ?? 30,
    userCacheTtl: e.TESSERA_USER_CACHE_TTL ?? 30,
    usageFlushInterval: e.TESSERA_USAGE_FLUSH_INTERVAL ?? 1000,
    configFile: e.TESSERA_CONFIG ?? null,
    logLevel: e.TESSERA_LOG_LEVEL ?? 'info',
    logFormat: e.TESSERA_LOG_FORMAT ?? 'auto',
    bootstrapAdminSecret: e.TESSERA_BOOTSTRAP_ADMIN_SECRET ?? null,
    trustProxy: parseTrustProxy(e.TESSERA_TRUST_PROXY),
    jwksMaxAge: e.TESSERA_JWKS_MAX_AGE ?? 300,
    keysPollInterval: e.TESSERA_KEYS_POLL_INTERVAL ?? 2000,
    keyRotationInterval: e.TESSERA_KEY_ROTATION_INTERVAL ?? null,
    keyRotationMargin: e.TESSERA_KEY_ROTATION_MARGIN ?? 60,
    clockSkew: e.TESSERA_CLOCK_SKEW ?? 60,
    refreshGraceSeconds: e.TESSERA_REFRESH_GRACE ?? 10,
    apiTokenMaxTtl,
    apiTokenDefaultTtl,
    apiTokenRetention: e.TESSERA_API_TOKEN_RETENTION ?? 2_592_000,
    apiTokenExpiryWarnings: Object.freeze(e.TESSERA_API_TOKEN_EXPIRY_WARNINGS ?? [604_800, 86_400]),
    apiTokenUnusedAfter: e.TESSERA_API_TOKEN_UNUSED_AFTER === 0 ? null : (e.TESSERA_API_TOKEN_UNUSED_AFTER ?? 2_592_000),
    apiTokenUnusedAction: e.TESSERA_API_TOKEN_UNUSED_ACTION ?? 'none',
    apiTokenUnusedGrace: e.TESSERA_API_TOKEN_UNUSED_GRACE ?? 604_800,
    suspiciousUseAction: e.TESSERA_SUSPICIOUS_USE_ACTION ?? 'notify',
    suspiciousRateFactor: e.TESSERA_SUSPICIOUS_RATE_FACTOR ?? 10,
    suspiciousDormancy: e.TESSERA_SUSPICIOUS_DORMANCY ?? 2_592_000,
    secretScanningKeys: e.TESSERA_SECRET_SCANNING_KEYS ?? null,
    auditRetention: e.TESSERA_AUDIT_RETENTION ?? 7_776_000,
    rateLimitClient: e.TESSERA_RATE_LIMIT_CLIENT ?? { requests: 6000, perSeconds: 60 },
    rateLimitAuthFailures: e.TESSERA_RATE_LIMIT_AUTH_FAILURES ?? { requests: 20, perSeconds: 60 },
    rateLimitApiToken: e.TESSERA_RATE_LIMIT_API_TOKEN ?? { requests: 600, perSeconds: 60 },
    metricsPort: e.TESSERA_METRICS_PORT ?? null,
    metricsToken: e.TESSERA_METRICS_TOKEN ?? null,
    console: e.TESSERA_CONSOLE ?? true,
    shutdownTimeout: e.TESSERA_SHUTDOWN_TIMEOUT ?? 10,
    workers,
    redisAllowEviction: e.TESSERA_REDIS_ALLOW_EVICTION === 'true',
    passwordHashCost: e.TESSERA_PASSWORD_HASH_COST ?? DEFAULT_PASSWORD_HASH_COST,
    // libuv runs scrypt on its thread pool (4 threads unless UV_THREADPOOL_SIZE says more).
    passwordHashConcurrency: e.TESSERA_PASSWORD_HASH_CONCURRENCY ?? Math.min(4, availableParallelism()),
    clientAssertionMaxLifetime: e.TESSERA_CLIENT_ASSERTION_MAX_LIFETIME ?? 600,
    dpopIatWindow: e.TESSERA_DPOP_IAT_WINDOW ?? 60,
    dpopRequireNonce: e.TESSERA_DPOP_REQUIRE_NONCE ?? false,
    connections: Object.freeze({
      headersTimeoutMs,
      requestTimeoutMs,
      keepAliveTimeoutMs: e.TESSERA_KEEP_ALIVE_TIMEOUT ?? 5_000,
      maxConnections: e.TESSERA_MAX_CONNECTIONS ?? 10_000,
      maxHeadersCount: e.TESSERA_MAX_HEADERS_COUNT ?? 100,
      maxHeaderSize: e.TESSERA_MAX_HEADER_SIZE ?? 16_384,
    }),
  });
}
