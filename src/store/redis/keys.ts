/**
 * Every Redis key name Tessera (and tessera/verifier) uses, in one place,
 * so that one layout serves a single Redis, a Sentinel-managed primary and a
 * Redis Cluster.
 *
 * The rules, which is what makes Cluster work:
 * - One script or MULTI touches the keys of one entity only, and every one
 *   of them is passed in KEYS; nothing builds a key name inside Lua from a
 *   value it read. Where an entity has several keys that one script touches,
 *   they share a hash tag (`{...}`: Redis Cluster hashes only what is
 *   between the first `{` and the next `}`), so they are in one slot.
 * - A key touched alone needs no tag (its slot is its own), and keeps the
 *   name it had before the layout was made Cluster-safe, so a deployment
 *   that upgrades keeps reading what it stored.
 * - Indexes over many entities (the client list, the username index, the
 *   API-token lists) are keys of their own, written in a separate step after
 *   or before the record in an order that never shows a present entity as
 *   absent, and checked against the record when read.
 * - Streams that every instance appends to (audit log, revocation feed) are
 *   sharded over STREAM_SHARDS keys whose slots spread evenly over the slot
 *   space, so they do not make one node hot (see sharded-stream.ts).
 *
 * Every key starts with the deployment's prefix (TESSERA_REDIS_PREFIX),
 * which must not contain `{` or `}` (config.ts refuses it): a tag there would
 * put every key in one slot.
 */
import calculateSlot from 'cluster-key-slot';

/** Shards of the audit log and of the revocation feed. Fixed: readers must know every shard. */
export const STREAM_SHARDS = 16;

/**
 * The tag of stream shard i: the first `s<i>.<n>` whose slot falls in the
 * i-th sixteenth of the slot space, so that shards land on different
 * primaries however the slots are split among them (contiguous ranges, as
 * `redis-cli --cluster create` assigns). Computed, not hand-picked, and the
 * same in every process.
 */
function spreadTags(count: number): readonly string[] {
  const width = 16_384 / count;
  return Array.from({ length: count }, (_, i) => {
    for (let n = 0; ; n++) {
      const tag = `s${i}.${n}`;
      if (Math.floor(calculateSlot(tag) / width) === i) return tag;
    }
  });
}

const SHARD_TAGS = spreadTags(STREAM_SHARDS);

export class RedisKeys {
  constructor(readonly prefix: string) {}

  // Clients: the record (JSON) and the id index (a sorted set, scores 0, paged BYLEX).
  client(id: string): string { return `${this.prefix}client:${id}`; }
  get clientIndex(): string { return `${this.prefix}clients`; }
  /** Pub/sub channel on which a client's change is announced (its id), so every instance drops its cached copy. */
  get clientsChannel(): string { return `${this.prefix}clients:changed`; }

  // Users: the record (JSON), the unique username index (hash username -> id) and the id index.
  user(id: string): string { return `${this.prefix}user:${id}`; }
  get usernames(): string { return `${this.prefix}usernames`; }
  get userIndex(): string { return `${this.prefix}users`; }
  /** Hash role name -> role JSON (roles are few). */
  get roles(): string { return `${this.prefix}roles`; }
  /** Pub/sub channel on which a user's (`u:<id>`) or a role's (`r:<name>`) change is announced, so every instance drops its cached copy. */
  get usersChannel(): string { return `${this.prefix}users:changed`; }

  // Login flow.
  loginAttempts(key: string): string { return `${this.prefix}attempts:${key}`; }
  authorizationRequest(id: string): string { return `${this.prefix}authreq:${id}`; }
  /** An authorization code and the marker its use leaves: consumed together, so one tag. */
  code(hash: string): string { return `${this.prefix}code:{${hash}}`; }
  codeUsed(hash: string): string { return `${this.prefix}code-used:{${hash}}`; }

  // Revocations.
  revoked(id: string): string { return `${this.prefix}revoked:${id}`; }
  userCutoff(userId: string): string { return `${this.prefix}cutoff:${userId}`; }
  revocationFeedShard(shard: number): string { return `${this.prefix}revfeed:{${SHARD_TAGS[shard]}}`; }
  /** The single feed stream of earlier versions, still read (never appended to) until it has been trimmed empty. */
  get legacyRevocationFeed(): string { return `${this.prefix}revfeed`; }

  // Refresh-token families (see refresh-tokens.ts for the fields): the family and its grace entry share the family's tag (one slot).
  refreshFamily(id: string): string { return `${this.prefix}rf:{${id}}`; }
  refreshGrace(id: string): string { return `${this.prefix}rg:{${id}}`; }
  /** Sorted set of a user's family ids scored by family end: their sessions (its own slot; written apart from the family). */
  refreshFamiliesOfUser(userId: string): string { return `${this.prefix}uf:${userId}`; }

  // API tokens (see api-tokens.ts).
  apiToken(id: string): string { return `${this.prefix}tsp:${id}`; }
  apiTokenSecret(hash: string): string { return `${this.prefix}tsp-h:${hash}`; }
  get apiTokenIndex(): string { return `${this.prefix}tsp-ids`; }
  apiTokensOfUser(userId: string): string { return `${this.prefix}tsp-u:${userId}`; }
  get apiTokenPurgeQueue(): string { return `${this.prefix}tsp-purge`; }
  get apiTokenExpiry(): string { return `${this.prefix}tsp-exp`; }
  /** A token's usage baseline (its networks and usual rate), for suspicious-use findings. */
  apiTokenBaseline(id: string): string { return `${this.prefix}tsp-b:${id}`; }
  /** The ids of the API tokens created through `parentId` (revoked with it). */
  apiTokenChildren(parentId: string): string { return `${this.prefix}tsp-k:${parentId}`; }

  // Audit log.
  auditShard(shard: number): string { return `${this.prefix}audit:{${SHARD_TAGS[shard]}}`; }
  /** The single audit stream of earlier versions, still read (never appended to) until it has been trimmed empty. */
  get legacyAudit(): string { return `${this.prefix}audit`; }
  /** The key of the fingerprints audit events carry instead of claimed identifiers (set once, by the first instance). */
  get auditFingerprintKey(): string { return `${this.prefix}audit-fingerprint-key`; }

  // Counters shared with tessera/verifier.
  rateLimit(key: string): string { return `${this.prefix}rl:${key}`; }
  usage(key: string): string { return `${this.prefix}usage:${key}`; }

  // Hourly event counters (the admin overview): one hash per hour.
  eventCounters(hourMs: number): string { return `${this.prefix}ec:${hourMs}`; }

  // Webhooks: endpoints and the delivery queue, all under one tag (one slot): the queue's scripts move deliveries between its keys.
  webhookEndpoint(id: string): string { return `${this.prefix}whe:{wh}:${id}`; }
  get webhookEndpointIndex(): string { return `${this.prefix}whe-ids:{wh}`; }
  webhookDelivery(id: string): string { return `${this.prefix}whd:{wh}:${id}`; }
  get webhookQueue(): string { return `${this.prefix}whd-q:{wh}`; }
  get webhookDeadLetters(): string { return `${this.prefix}whd-dead:{wh}`; }
  webhookDeadLettersOf(endpointId: string): string { return `${this.prefix}whd-dead:{wh}:${endpointId}`; }

  // Background jobs: a lease per job name, and marks (what a job already did).
  jobLease(name: string): string { return `${this.prefix}job-lease:${name}`; }
  jobMark(key: string): string { return `${this.prefix}job-mark:${key}`; }

  // One-time JWT ids (client assertions, DPoP proofs, external tokens), hashed; and server-held secrets.
  oneTimeId(hash: string): string { return `${this.prefix}jti:${hash}`; }
  serverSecret(name: string): string { return `${this.prefix}secret:${name}`; }

  // Trust policies (federated workload identity): the record, the id index and the ids per issuer (hashed).
  trustPolicy(id: string): string { return `${this.prefix}trust-policy:${id}`; }
  get trustPolicyIndex(): string { return `${this.prefix}trust-policies`; }
  trustPoliciesOfIssuer(issuerHash: string): string { return `${this.prefix}trust-policies-iss:${issuerHash}`; }

  // Signing keys kept in the store (signing-keys.ts): one hash (sealed records, the version, the wrapping salt)
  // and the rotation lock, under one tag, since every write checks the lock in the same script.
  get signingKeys(): string { return `${this.prefix}signing-keys:{sk}`; }
  get signingKeysLock(): string { return `${this.prefix}signing-keys-lock:{sk}`; }
  /** Pub/sub channel on which a key change (a rotation) is announced. */
  get signingKeysChannel(): string { return `${this.prefix}signing-keys:changed`; }
}

/** The cluster hash slot of a key (the function Redis and ioredis use). */
export function slotOf(key: string): number {
  return calculateSlot(key);
}
