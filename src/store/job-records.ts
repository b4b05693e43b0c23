/**
 * State of Tessera's background jobs (token hygiene, scheduled key
 * rotation), shared by every instance: a lease so that one instance at a
 * time runs a job, and marks so that each notice (an expiry warning, an
 * unused-token warning) is given once however many instances look and
 * however often. Marks expire, so the state stays bounded.
 */
export interface JobStateRepository {
  /**
   * Takes (or, for the same holder, extends) the lease `name` until
   * `untilMs`; false while another holder's lease has not expired.
   */
  acquireLease(name: string, holder: string, untilMs: number): Promise<boolean>;
  /** Gives the lease up, only if `holder` still has it. */
  releaseLease(name: string, holder: string): Promise<void>;
  /**
   * Sets the mark `key` to `value` until `expiresAtMs` unless it is set
   * already: null when this call set it, else the value already there.
   */
  markOnce(key: string, value: string, expiresAtMs: number): Promise<string | null>;
  getMark(key: string): Promise<string | null>;
  /** Sets (overwrites) a mark; e.g. a job's cursor. */
  setMark(key: string, value: string, expiresAtMs: number): Promise<void>;
}
