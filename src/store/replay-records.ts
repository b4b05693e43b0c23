/**
 * One-time identifiers and server-held secrets: the storage side of JWT
 * replay protection (the `jti` of client assertions, federated tokens and
 * DPoP proofs) and of stateless DPoP nonces.
 */

export interface ReplayCache {
  /**
   * Marks `key` (e.g. `client_assertion:<client>:<jti>`) as used until
   * `expiresAtMs`, atomically: true the first time, false while an earlier
   * use is remembered. Keep an entry as long as the JWT it names could still
   * be accepted, so that a replay is refused for the JWT's whole life.
   */
  claim(key: string, expiresAtMs: number): Promise<boolean>;
}

export interface ServerSecrets {
  /**
   * The secret stored under `name`, creating it from `candidate` when there
   * is none, atomically: every instance sharing the store gets the same one.
   */
  getOrCreate(name: string, candidate: string): Promise<string>;
}
