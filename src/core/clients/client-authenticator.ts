/**
 * Client authentication at the token, revocation and introspection
 * endpoints (RFC 6749 §2.3.1, RFC 7009 §2.1, RFC 7662 §2.1), with the limit
 * on failed authentications per address (the `auth_failures` policy) and
 * the audit event of each failure. Every failure is the same
 * `invalid_client`, so the answer does not tell which part was wrong.
 *
 * Count before you check: an attempt that could succeed by guessing (a
 * secret a person chose, stored with scrypt, or an id that names no client)
 * takes one unit of the address's allowance *before* its secret is checked,
 * and gives it back only when it succeeds. N guesses sent at once take N,
 * so once the allowance is spent none is checked, a right one included.
 * A generated secret (256 bits, stored as SHA-256) cannot be guessed, so a
 * right one is accepted with no counter write and no slow hash: the common
 * path stays one store round trip (the record, read with the address's
 * count). A wrong one is counted, after the cheap comparison.
 *
 * Timing: every failure costs one scrypt at the current cost
 * (password-hasher.ts) and one counter write, whether the id is unknown,
 * its secret generated or chosen, so the time of a failure does not tell
 * which ids exist. A chosen secret stored at an older cost is rehashed
 * after a successful authentication.
 */
import type { Logger } from 'pino';
import type { ClientRecord, Store } from '../../store/store.js';
import { requestContext, type AuditSink } from '../audit.js';
import type { ClaimedIdentifiers } from '../claimed-identifiers.js';
import { matchesGeneratedSecret } from '../crypto/secret-hash.js';
import type { PasswordHasher } from '../crypto/password-hasher.js';
import { BusyError, InvalidClientError, UpstreamUnavailableError } from '../errors.js';
import { AssertionRejected, type RejectionReason } from '../assertions/jwt-assertion.js';
import { authMethodOf } from './auth-method.js';
import type { ClientAssertions } from './client-assertions.js';
import type { RateLimits } from '../rate-limits.js';
import type { PresentedClient } from './client-service.js';

const FAILED = 'client authentication failed';

export class ClientAuthenticator {
  constructor(
    private readonly store: Store,
    private readonly hasher: PasswordHasher,
    private readonly limits: RateLimits,
    private readonly audit: AuditSink,
    private readonly claimed: ClaimedIdentifiers,
    private readonly assertions: ClientAssertions,
    private readonly logger?: Logger,
  ) {}

  /**
   * The client `presented` proves to be, or InvalidClientError (401),
   * RateLimitedError (429) past the address's allowance. `checked`: the
   * address's allowance already being checked by the caller (in the same
   * store command as another counter, RateLimits.beginChecked); else it is
   * checked here.
   */
  async authenticate(presented: PresentedClient, ip: string, checked?: Promise<void>): Promise<ClientRecord> {
    const rule = this.limits.policies.authFailures;
    // Read together (one round trip once pipelined); an address already over
    // its allowance is refused before anything else is done for it.
    const [client] = await Promise.all([this.store.clients.get(presented.clientId), checked ?? this.limits.check('auth_failures', ip, rule)]);
    try {
      return authenticated(await this.#prove(presented, client, ip));
    } catch (err) {
      if (err instanceof InvalidClientError) this.#recordFailure(presented, client, typeof err.cause === 'string' ? err.cause : null);
      throw err;
    }
  }

  /**
   * The client `presented` proves to be with no store command, or null:
   * its record held in the process (ClientRepository.cached) and a
   * generated secret that matches, one comparison in memory. Nothing is
   * counted or recorded on null (a wrong secret, a record not held, another
   * method): the caller then goes through authenticate(), which does.
   */
  provedFromCache(presented: PresentedClient): ClientRecord | null {
    if (presented.method !== 'client_secret_basic' && presented.method !== 'client_secret_post') return null;
    const client = this.store.clients.cached?.(presented.clientId);
    const stored = client && !client.public ? client.secret_hash : null;
    if (!client || stored === null || this.hasher.isSlow(stored) || !matchesGeneratedSecret(presented.secret ?? '', stored)) return null;
    return authenticated(client);
  }

  /**
   * Whether authenticate() proved `client` with no wait after its first
   * round trip: a generated secret, one comparison in memory. A secret
   * stored with scrypt or an assertion (whose keys may be fetched) takes
   * longer, and reads started alongside the authentication are then older
   * than the proof (introspection makes them again).
   */
  provedAtOnce(presented: PresentedClient, client: ClientRecord): boolean {
    if (presented.method !== 'client_secret_basic' && presented.method !== 'client_secret_post') return false;
    return !client.public && client.secret_hash !== null && !this.hasher.isSlow(client.secret_hash);
  }

  async #prove(presented: PresentedClient, client: ClientRecord | null, ip: string): Promise<ClientRecord> {
    const rule = this.limits.policies.authFailures;
    if (presented.method === 'private_key_jwt') return this.#proveAssertion(presented, client, ip);
    if (presented.method === 'none') {
      // A public client names itself (RFC 6749 §2.1); there is no secret to check.
      if (client?.public) return client;
      await this.limits.reserve('auth_failures', ip, rule);
      throw new InvalidClientError(FAILED);
    }
    const secret = presented.secret ?? '';
    const stored = client && !client.public ? client.secret_hash : null;
    if (client && stored !== null && !this.hasher.isSlow(stored)) {
      if (matchesGeneratedSecret(secret, stored)) return client;
      await this.limits.reserve('auth_failures', ip, rule);
      await this.hasher.spend(secret);
      throw new InvalidClientError(FAILED);
    }
    const release = await this.limits.reserve('auth_failures', ip, rule);
    let verdict;
    try {
      verdict = await this.hasher.verify(secret, stored);
    } catch (err) {
      // Refused for load before anything was checked: the attempt does not count.
      if (err instanceof BusyError) await release();
      throw err;
    }
    if (!client || !verdict.ok) throw new InvalidClientError(FAILED);
    await release();
    if (verdict.rehash && stored !== null) void this.#rehash(client, secret, stored);
    return client;
  }

  /** Stores the secret at the current cost, after the answer: a failure only means another try next time. */
  async #rehash(client: ClientRecord, secret: string, stored: string): Promise<void> {
    try {
      await this.store.clients.replaceSecretHash(client.client_id, stored, await this.hasher.hash(secret));
    } catch (err) {
      this.logger?.warn({ err: err instanceof Error ? err.message : String(err), client_id: client.client_id }, 'could not rehash a client secret at the current cost');
    }
  }

  /**
   * private_key_jwt (client-assertions.ts). An assertion cannot be guessed
   * (it takes the client's private key), so like a generated secret it is
   * checked first and a failure is counted after; the address's allowance
   * was checked before anything was done. A failure costs what any other
   * does (one scrypt), whether the client is unknown, uses another method,
   * or sent a bad assertion. Keys that cannot be fetched are not the
   * caller's failure: 503, not counted.
   */
  async #proveAssertion(presented: PresentedClient, client: ClientRecord | null, ip: string): Promise<ClientRecord> {
    const assertion = presented.assertion ?? '';
    let reason: RejectionReason = 'unknown_key';
    if (client && authMethodOf(client) === 'private_key_jwt') {
      try {
        await this.assertions.verify(client, assertion);
        return client;
      } catch (err) {
        if (!(err instanceof AssertionRejected)) throw err;
        if (err.reason === 'keys_unavailable') throw new UpstreamUnavailableError('the client\'s keys could not be fetched; retry shortly');
        reason = err.reason;
      }
    }
    await this.limits.reserve('auth_failures', ip, this.limits.policies.authFailures);
    await this.hasher.spend(assertion);
    throw new InvalidClientError(FAILED, { cause: client ? reason : 'unknown_client' });
  }

  /** `reason`: why an assertion was refused (never anything secret), for operators. */
  #recordFailure(presented: PresentedClient, client: ClientRecord | null, reason: string | null): void {
    const claimed = this.claimed.safe(presented.clientId, client !== null);
    this.audit.record({
      type: 'client.authentication_failed',
      actor: { type: 'anonymous', id: null },
      client_id: claimed.value,
      detail: {
        method: presented.method,
        ...(claimed.fingerprint ? { client_id_fingerprint: claimed.fingerprint } : {}),
        ...(reason ? { reason } : {}),
      },
    });
  }
}

/**
 * Names the client on the request context (for the request log) once it has
 * proved who it is: never the id merely claimed, which may be a secret typed
 * into the wrong field.
 */
function authenticated(client: ClientRecord): ClientRecord {
  const context = requestContext.getStore();
  if (context) context.clientId = client.client_id;
  return client;
}
