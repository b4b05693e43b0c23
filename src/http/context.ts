import type { Logger } from 'pino';
import type { Config } from '../config/config.js';
import type { Store } from '../store/store.js';
import type { KeyManager } from '../core/keys/key-manager.js';
import type { ClientService } from '../core/clients/client-service.js';
import type { ClientAuthenticator } from '../core/clients/client-authenticator.js';
import type { ClaimedIdentifiers } from '../core/claimed-identifiers.js';
import type { PasswordHasher } from '../core/crypto/password-hasher.js';
import type { OutageLog } from '../core/outage-log.js';
import type { TokenEndpoint } from '../core/token-endpoint.js';
import type { GrantRegistry } from '../core/grants/grant-handler.js';
import type { AccessTokenValidator } from '../core/tokens/access-token-validator.js';
import type { Introspection } from '../core/introspection.js';
import type { Revocation } from '../core/revocation.js';
import type { UserService } from '../core/users/user-service.js';
import type { LoginService } from '../core/users/login.js';
import type { RefreshTokenService } from '../core/tokens/refresh-tokens.js';
import type { SessionService } from '../core/users/sessions.js';
import type { UserTokenIssuer } from '../core/grants/user-tokens.js';
import type { AccessTokenIssuer } from '../core/tokens/access-token.js';
import type { AuditSink } from '../core/audit.js';
import type { ApiTokenService } from '../core/api-tokens/api-token-service.js';
import type { LeakedTokenReports } from '../core/api-tokens/leaked-tokens.js';
import type { RevocationFeed } from '../core/revocation-feed.js';
import type { TesseraMetrics } from '../core/metrics/metrics.js';
import type { WebhookService } from '../core/webhooks/webhook-service.js';
import type { ScopeUseSink } from '../core/usage/scope-use.js';
import type { LeastPrivilege } from '../core/reports/least-privilege.js';
import type { TokenReports } from '../core/reports/token-reports.js';
import type { SecretScanningKeys } from '../core/api-tokens/secret-scanning-keys.js';
import type { Overview } from '../core/activity/overview.js';
import type { DpopChecker } from '../core/dpop/dpop-checker.js';
import type { TrustPolicyService } from '../core/federation/trust-policy-service.js';

/** Everything the HTTP layer needs, built once by src/server.ts. */
export interface AppContext {
  config: Config;
  /** The server's clock (Date.now; tests move it): what views compare times with. */
  now: () => number;
  issuer: string;
  logger: Logger;
  store: Store;
  keys: KeyManager;
  clients: ClientService;
  clientAuth: ClientAuthenticator;
  /** What audit events keep of identifiers that were only claimed. */
  claimed: ClaimedIdentifiers;
  passwords: PasswordHasher;
  grants: GrantRegistry;
  tokenEndpoint: TokenEndpoint;
  validator: AccessTokenValidator;
  introspection: Introspection;
  revocation: Revocation;
  users: UserService;
  login: LoginService;
  refresh: RefreshTokenService;
  sessions: SessionService;
  accessTokens: AccessTokenIssuer;
  userTokens: UserTokenIssuer;
  audit: AuditSink;
  apiTokens: ApiTokenService;
  leakedTokens: LeakedTokenReports;
  revocationFeed: RevocationFeed;
  metrics: TesseraMetrics;
  /** One log line when the store starts failing, summaries while it does, one when it is back. */
  outage: OutageLog;
  webhooks: WebhookService;
  overview: Overview;
  /** Where the admin API and /v1/me note the use of their scope (least-privilege report). */
  scopeUse: ScopeUseSink;
  leastPrivilege: LeastPrivilege;
  reports: TokenReports;
  dpop: DpopChecker;
  trustPolicies: TrustPolicyService;
  /** GitHub's secret-scanning keys (TESSERA_SECRET_SCANNING_KEYS); null when that is not set up. */
  secretScanningKeys: SecretScanningKeys | null;
}
