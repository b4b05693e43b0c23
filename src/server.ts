/**
 * The composition root: builds the store, keys, services and the Express
 * app from a parsed config. Used by src/main.ts and by the tests.
 */
import { randomBytes } from 'node:crypto';
import type { Express } from 'express';
import type { Logger } from 'pino';
import type { Config } from './config/config.js';
import { readBootstrapFile } from './config/bootstrap-file.js';
import type { Store } from './store/store.js';
import { createStore } from './store/create-store.js';
import { KeyManager } from './core/keys/key-manager.js';
import { ClientService } from './core/clients/client-service.js';
import { ClientAuthenticator } from './core/clients/client-authenticator.js';
import { ClaimedIdentifiers } from './core/claimed-identifiers.js';
import { PasswordHasher } from './core/crypto/password-hasher.js';
import { AccessTokenIssuer } from './core/tokens/access-token.js';
import { AccessTokenValidator } from './core/tokens/access-token-validator.js';
import { GrantRegistry } from './core/grants/grant-handler.js';
import { ClientCredentialsGrant } from './core/grants/client-credentials.js';
import { TokenEndpoint } from './core/token-endpoint.js';
import { AccessTokenInspector, Introspection } from './core/introspection.js';
import { AccessTokenRevoker, Revocation } from './core/revocation.js';
import { ensureAdminClient } from './core/first-admin.js';
import { ensureConsoleClient } from './core/console-client.js';
import { UserService } from './core/users/user-service.js';
import { LoginService } from './core/users/login.js';
import { RefreshTokenService } from './core/tokens/refresh-tokens.js';
import { SessionService } from './core/users/sessions.js';
import { RefreshTokenGrant } from './core/grants/refresh-token.js';
import { AuthorizationCodeGrant } from './core/grants/authorization-code.js';
import { UserTokenIssuer } from './core/grants/user-tokens.js';
import { StoreAuditSink, TeeAuditSink, type AuditSink } from './core/audit.js';
import { applyBootstrapFile } from './core/bootstrap.js';
import { RefreshTokenInspector, RefreshTokenRevoker } from './core/refresh-token-handlers.js';
import { ApiTokenService } from './core/api-tokens/api-token-service.js';
import { ApiTokenUser } from './core/api-tokens/api-token-use.js';
import { ApiTokenInspector, ApiTokenRevoker } from './core/api-tokens/api-token-handlers.js';
import { LeakedTokenReports } from './core/api-tokens/leaked-tokens.js';
import { TokenExchangeGrant } from './core/grants/token-exchange.js';
import { RateLimits } from './core/rate-limits.js';
import { OutageLog } from './core/outage-log.js';
import { assertNoEviction, evicts } from './core/eviction-policy.js';
import { RevocationFeed } from './core/revocation-feed.js';
import { REVOCATION_MARGIN_MS } from './core/tokens/clock-tolerance.js';
import type { AppContext } from './http/context.js';
import { createApp } from './http/app.js';
import { TesseraMetrics } from './core/metrics/metrics.js';
import { MetricsAuditSink } from './core/metrics/metrics-audit-sink.js';
import { ActivityCounter } from './core/activity/activity-counter.js';
import { Overview } from './core/activity/overview.js';
import { registerScrapeGauges } from './core/metrics/scrape-gauges.js';
import { instrumentStore } from './store/instrumented-store.js';
import { BatchedUsage } from './core/usage/batched-usage.js';
import { createMetricsApp } from './http/routes/metrics.js';
import { AtRestSecrets } from './core/crypto/at-rest.js';
import { WebhookPublisher } from './core/webhooks/publisher.js';
import { WebhookDispatcher } from './core/webhooks/dispatcher.js';
import { WebhookService } from './core/webhooks/webhook-service.js';
import { WebhookAuditSink } from './core/webhooks/audit-events.js';
import { JobRunner } from './core/jobs/job-runner.js';
import { KeyRotationJob } from './core/keys/rotation-job.js';
import { StoreKeyStorage } from './core/keys/store-key-storage.js';
import type { RotationSchedule } from './core/keys/key-schedule.js';
import { ExpiryNotices } from './core/hygiene/expiry-notices.js';
import { UnusedTokens } from './core/hygiene/unused-tokens.js';
import { LeastPrivilege } from './core/reports/least-privilege.js';
import { TokenReports } from './core/reports/token-reports.js';
import { DEFAULT_RULES, SuspiciousUseWatch } from './core/suspicious/suspicious-use.js';
import { DpopChecker } from './core/dpop/dpop-checker.js';
import { KeySources } from './core/jwks/key-source.js';
import { RemoteKeySets } from './core/jwks/remote-key-sets.js';
import { IssuerDiscovery } from './core/jwks/issuer-discovery.js';
import { ClientAssertions } from './core/clients/client-assertions.js';
import { JwtBearerGrant } from './core/grants/jwt-bearer.js';
import { FederatedAssertions } from './core/federation/federated-assertions.js';
import { TrustPolicyService } from './core/federation/trust-policy-service.js';
import { SecretScanningKeys } from './core/api-tokens/secret-scanning-keys.js';

export interface TesseraOptions {
  issuer: string;
  logger: Logger;
  /** A store to use instead of the one the config names (tests). */
  store?: Store;
  /** Another sink that also receives every audit event (tests). */
  audit?: AuditSink;
  /** The clock of the background work (webhook retries, token hygiene, key rotation) and of what it reads; tests move it. */
  now?: () => number;
  /**
   * Start the background work (webhook deliveries, token hygiene, scheduled
   * key rotation) on timers of its own. Default true; tests drive it by hand.
   */
  background?: boolean;
}

export interface Tessera {
  app: Express;
  /** Serves GET /metrics only: src/main.ts listens with it on TESSERA_METRICS_PORT when that is set. */
  metricsApp: Express;
  ctx: AppContext;
  /** The first admin's generated secret when this start created it; print it once. */
  adminSecret: string | null;
  /** Resolves once every audit event recorded so far is written, and every webhook event it made is queued. */
  flushAudit(): Promise<void>;
  /** The webhook sender; tests run it by hand (runOnce) with `background: false`. */
  webhooks: WebhookDispatcher;
  /** The background jobs (token hygiene); tests run them by hand (runOnce) with `background: false`. */
  jobs: JobRunner;
  close(): Promise<void>;
}

/**
 * The rotation schedule, or null when TESSERA_KEY_ROTATION_INTERVAL is off.
 * A next key signs only once every JWKS cache has had it for a full max-age
 * (plus the margin, plus the time other instances take to reload); a
 * retired key is deleted when it leaves the JWKS.
 */
function rotationSchedule(config: Config, publishRetiredForMs: number): RotationSchedule | null {
  if (config.keyRotationInterval === null) return null;
  return {
    intervalMs: config.keyRotationInterval * 1000,
    publishLeadMs: (config.jwksMaxAge + config.keyRotationMargin) * 1000 + config.keysPollInterval,
    removeAfterMs: publishRetiredForMs,
  };
}

export async function createTessera(config: Config, options: TesseraOptions): Promise<Tessera> {
  const { issuer, logger } = options;
  const now = options.now ?? Date.now;
  const rawStore =
    options.store ??
    (await createStore({
      topology: config.redis,
      prefix: config.redisPrefix,
      wait: config.redisWait,
      onError: (err) => logger.warn({ err: String(err) }, 'store connection problem'),
      onWarning: (message) => logger.warn(message),
      clientCacheTtlMs: config.clientCacheTtl * 1000,
      userCacheTtlMs: config.userCacheTtl * 1000,
    }));
  const metrics = new TesseraMetrics();
  const instrumented = instrumentStore(rawStore, { duration: metrics.storeDuration, errors: metrics.storeErrors });
  let keys: KeyManager | undefined;
  let stopActivity: (() => Promise<void>) | undefined;
  let stopUsage: (() => Promise<void>) | undefined;
  try {
    const outage = new OutageLog(logger, { probe: () => instrumented.ping() });
    // Uses of tokens on read paths (introspection, the admin API's bearer checks) are counted in memory and
    // written in batches: a read waits on no write. Failures go to the outage log, which says nothing secret.
    const usage = new BatchedUsage(instrumented.usage, {
      intervalMs: config.usageFlushInterval,
      onDropped: (uses, reason) => metrics.usageDropped.labels(reason).inc(uses),
      onFailure: (err) => outage.skipped(err, 'usage'),
    });
    stopUsage = () => usage.close();
    const store: Store = { ...instrumented, usage };
    // Before anything is written: a Redis that evicts keys is refused (exit 2) unless allowed.
    const policy = await store.evictionPolicy();
    assertNoEviction(policy, config.redisAllowEviction);
    if (evicts(policy)) logger.warn({ maxmemory_policy: policy }, 'Redis may evict keys under memory pressure (TESSERA_REDIS_ALLOW_EVICTION=true): revoked tokens can come back');
    // A retired key stays published while tokens it signed can still be
    // accepted; another instance may go on signing with it until its next poll.
    const publishRetiredForMs = (config.accessTokenTtl + config.clockSkew) * 1000 + config.keysPollInterval;
    keys = await KeyManager.open({
      ...(config.keysStorage === 'store'
        ? { storage: new StoreKeyStorage(store.signingKeys, config.keysPassphrase ?? '') }
        : { dir: config.keysDir, passphrase: config.keysPassphrase ?? undefined }),
      alg: config.signingAlg,
      schedule: rotationSchedule(config, publishRetiredForMs),
      publishRetiredForMs,
      pollIntervalMs: config.keysPollInterval,
      onReloadError: (err) => logger.error({ err: String(err) }, 'could not reload signing keys; keeping the previous ones'),
    });
    const passwords = new PasswordHasher({ cost: config.passwordHashCost, concurrency: config.passwordHashConcurrency });
    const clients = new ClientService(store, passwords);
    const users = new UserService(store, passwords);
    const claimed = new ClaimedIdentifiers(Buffer.from(await store.audit.fingerprintKey(randomBytes(32).toString('base64url')), 'base64url'));
    const auditLog = new StoreAuditSink(store.audit, logger, config.auditRetention * 1000, undefined, outage);
    const atRest = new AtRestSecrets(config.keysPassphrase);
    const dispatcher = new WebhookDispatcher(store, atRest, logger, { now }, { onAttempt: (outcome) => metrics.webhookAttempts.labels(outcome).inc() });
    const publisher = new WebhookPublisher(store, logger, () => dispatcher.kick(), now);
    const activity = new ActivityCounter(store.counters, logger, now);
    stopActivity = () => activity.close();
    const audit: AuditSink = new TeeAuditSink([
      auditLog, new MetricsAuditSink(metrics), new WebhookAuditSink(publisher), activity, ...(options.audit ? [options.audit] : []),
    ]);
    const accessTokens = new AccessTokenIssuer(keys, issuer, config.accessTokenTtl);
    const validator = new AccessTokenValidator(keys, store, issuer, config.clockSkew);
    const refresh = new RefreshTokenService(store, config.refreshTokenTtl, config.refreshGraceSeconds * 1000);
    const userTokens = new UserTokenIssuer(accessTokens, store);
    const apiTokens = new ApiTokenService(store, users, audit, {
      maxTtl: config.apiTokenMaxTtl, defaultTtl: config.apiTokenDefaultTtl, retention: config.apiTokenRetention,
      derivedTokenLifetime: config.accessTokenTtl + config.clockSkew, defaultRateLimit: config.rateLimitApiToken,
    }, now);
    const secretScanningKeys = config.secretScanningKeys === null ? null : new SecretScanningKeys(config.secretScanningKeys, now);
    // A file is read now, so that a wrong path stops the start (exit 2); a URL is fetched at the first report.
    if (secretScanningKeys && !/^https?:\/\//.test(config.secretScanningKeys!)) await secretScanningKeys.load();
    const suspicious = new SuspiciousUseWatch(store, apiTokens, audit, {
      action: config.suspiciousUseAction,
      rules: { ...DEFAULT_RULES, rateFactor: config.suspiciousRateFactor, dormancyMs: config.suspiciousDormancy * 1000 },
    }, logger);
    const apiTokenUse = new ApiTokenUser(store, users, audit, now, outage, suspicious);
    const rateLimits = new RateLimits(store, {
      client: config.rateLimitClient, authFailures: config.rateLimitAuthFailures, apiToken: config.rateLimitApiToken,
    }, audit, now);
    // Other parties' keys (clients' jwks_uri, trust policies' issuers), fetched and cached for every request of this process.
    const keySources = new KeySources(new RemoteKeySets(), new IssuerDiscovery());
    const assertions = new ClientAssertions(keySources, store.replay, issuer, {
      maxLifetimeSeconds: config.clientAssertionMaxLifetime, clockSkewSeconds: config.clockSkew,
    });
    const clientAuth = new ClientAuthenticator(store, passwords, rateLimits, audit, claimed, assertions, logger);
    const dpop = new DpopChecker(store, issuer, { iatWindowSeconds: config.dpopIatWindow, requireNonce: config.dpopRequireNonce });
    const grants = new GrantRegistry()
      .register(new AuthorizationCodeGrant(store, users, refresh, userTokens, audit, issuer))
      .register(new ClientCredentialsGrant(accessTokens, issuer))
      .register(new RefreshTokenGrant(refresh, users, store, userTokens, audit, issuer))
      .register(new TokenExchangeGrant(apiTokenUse, accessTokens, issuer, rateLimits))
      .register(new JwtBearerGrant(new FederatedAssertions(store, keySources, config.clockSkew), store.clients, accessTokens, audit, issuer));
    const trustPolicies = new TrustPolicyService(store);
    const ctx: AppContext = {
      config,
      now,
      issuer,
      logger,
      store,
      keys,
      clients,
      clientAuth,
      claimed,
      passwords,
      grants,
      tokenEndpoint: new TokenEndpoint(clientAuth, grants, audit, rateLimits, dpop),
      validator,
      introspection: new Introspection([
        new AccessTokenInspector(validator, store.usage, outage), new RefreshTokenInspector(refresh, issuer), new ApiTokenInspector(apiTokenUse, issuer),
      ]),
      revocation: new Revocation([
        new AccessTokenRevoker(validator, store), new RefreshTokenRevoker(refresh), new ApiTokenRevoker(store, apiTokens),
      ]),
      users,
      login: new LoginService(store, passwords, { logger }),
      refresh,
      sessions: new SessionService(store, refresh, audit, now),
      accessTokens,
      userTokens,
      audit,
      apiTokens,
      leakedTokens: new LeakedTokenReports(store, apiTokens, refresh, audit),
      revocationFeed: new RevocationFeed(store, keys, issuer, (config.accessTokenTtl + config.clockSkew) * 1000 + REVOCATION_MARGIN_MS),
      metrics,
      outage,
      webhooks: new WebhookService(store, atRest, publisher, audit, now),
      overview: new Overview(store, activity, now),
      scopeUse: { usage: store.usage, now, onError: (err) => logger.warn({ err: String(err) }, 'scope use not recorded') },
      leastPrivilege: new LeastPrivilege(store, apiTokens, clients, audit, now),
      secretScanningKeys,
      reports: new TokenReports(store, apiTokens, { unusedAction: config.apiTokenUnusedAction, unusedGrace: config.apiTokenUnusedGrace }, now),
      dpop,
      trustPolicies,
    };
    registerScrapeGauges(metrics, { keys, store });

    if (config.configFile) await applyBootstrapFile(await readBootstrapFile(config.configFile), { clients, users, trustPolicies }, logger);
    const admin = await ensureAdminClient(store, clients, config.bootstrapAdminSecret);
    if (admin.created) logger.info({ client_id: 'tessera-admin' }, 'created the first admin client');
    // After the admin client: the console's client must not count as the way in (first-admin.ts).
    if (config.console) await ensureConsoleClient(clients, issuer);

    const hygiene = {
      expiryWarnings: config.apiTokenExpiryWarnings, unusedAfter: config.apiTokenUnusedAfter,
      unusedAction: config.apiTokenUnusedAction, unusedGrace: config.apiTokenUnusedGrace,
    };
    const jobs = new JobRunner(store, logger, [
      new ExpiryNotices(store, audit, hygiene, now),
      new UnusedTokens(store, apiTokens, audit, hygiene, now),
      ...(keys.schedule ? [new KeyRotationJob(keys, audit, now)] : []),
    ], now);

    const app = createApp(ctx);
    const openKeys = keys;
    if (options.background ?? true) {
      dispatcher.start();
      jobs.start();
    }
    return {
      app,
      metricsApp: createMetricsApp(ctx),
      ctx,
      adminSecret: admin.secret,
      webhooks: dispatcher,
      jobs,
      flushAudit: async () => {
        await suspicious.flush();
        await auditLog.flush();
        await publisher.flush();
      },
      async close() {
        await jobs.stop();
        await dispatcher.stop();
        await suspicious.flush();
        await publisher.flush();
        await auditLog.flush();
        await activity.close();
        // What introspections counted since the last flush: a clean stop loses none.
        await usage.close();
        await openKeys.close();
        outage.close();
        await store.close();
      },
    };
  } catch (err) {
    await stopActivity?.().catch(() => undefined);
    await stopUsage?.().catch(() => undefined);
    await keys?.close();
    if (!options.store) await rawStore.close().catch(() => undefined);
    throw err;
  }
}
