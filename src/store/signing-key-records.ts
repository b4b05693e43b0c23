/**
 * Signing keys kept in the store (TESSERA_KEYS_STORAGE=store). The store
 * holds opaque records, sealed by the caller (src/core/keys/store-key-storage.ts:
 * envelope encryption under TESSERA_KEYS_PASSPHRASE), so it never sees a
 * private key in the clear. Writes are fenced by a rotation lock held in the
 * store itself, so one instance at a time changes keys, across hosts.
 */
export interface SigningKeyRepository {
  /** Every record by kid, and the version they are at. */
  load(): Promise<{ version: string; records: Map<string, string> }>;
  /** Changes with every write or removal: what polling compares. */
  version(): Promise<string>;
  /** The salt the key-wrapping key is derived with: `candidate` if none was stored yet, else the one stored. */
  salt(candidate: string): Promise<string>;
  /** Takes (or, for the same holder, extends) the rotation lock until `untilMs`; false while another holder has it. */
  acquireLock(holder: string, untilMs: number): Promise<boolean>;
  /** Gives the lock up, only if `holder` still has it. */
  releaseLock(holder: string): Promise<void>;
  /** Stores a record, only while `holder` has the lock; false when it does not. */
  put(kid: string, record: string, holder: string): Promise<boolean>;
  /** Removes a record, only while `holder` has the lock; false when it does not. */
  remove(kid: string, holder: string): Promise<boolean>;
  /** Tells every instance (watch) that keys changed. */
  announce(): Promise<void>;
  /**
   * Calls `onChange` at each announcement, and whenever the subscription is
   * (re)established (announcements made while it was down are lost).
   * Resolves with a function that stops listening.
   */
  watch(onChange: () => void): Promise<() => Promise<void>>;
}
