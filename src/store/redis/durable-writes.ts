/**
 * Writes whose loss would be a security hole (revocations and user
 * cut-offs, refresh rotations and family revocations, API-token changes,
 * authorization-code use, client and user changes) are acknowledged only
 * once a replica has them, when the primary has replicas: Redis replicates
 * asynchronously, so without this a failover can lose a revocation the
 * caller was told had happened, and the token would work again.
 *
 * How: such writes go through a connection of their own, and after each one
 * `WAIT n timeout` runs on that connection (WAIT counts the replicas that
 * have every write made on its connection so far). WAITs are coalesced per
 * primary, group-commit style: while one is in flight, the writes that
 * complete meanwhile share the next one, so a burst of rotations costs one
 * replica round trip, not one each. A dedicated connection keeps the reads
 * and ordinary writes of other requests from queueing behind a WAIT.
 *
 * n is the smaller of TESSERA_REDIS_WAIT_REPLICAS and the replicas the
 * primary has online now (INFO replication, refreshed every 5 s and after a
 * shortfall), so a deployment without replicas never waits. Such writes
 * stay on their own connection even when no replica has to confirm them:
 * when the main connection used ioredis's auto-pipelining, which keeps one
 * batch in flight per connection (a Cluster's still do), a refresh rotation
 * there waited for the batch before it (measured: more CPU per rotation and
 * a lower rate). When fewer replicas than that confirm within
 * TESSERA_REDIS_WAIT_TIMEOUT, the write has happened on the primary but is
 * not confirmed: the caller gets a 503 and retries (every such write is
 * safe to repeat).
 */
import type { Cluster } from 'ioredis';
import { StoreUnavailableError } from '../../core/errors.js';
import { guarded, repliesOf, type RedisClient } from './connection.js';
import { slotOf } from './keys.js';

export interface WaitPolicy {
  /** Replicas that must confirm a security-critical write; 0 = never wait. */
  replicas: number;
  /** How long WAIT may block, ms. */
  timeoutMs: number;
}

export const DEFAULT_WAIT_POLICY: WaitPolicy = { replicas: 1, timeoutMs: 500 };

const REFRESH_EVERY_MS = 5_000;
const SINGLE = 'primary';

/** Online replicas in an `INFO replication` answer (`slaveN:...,state=online,...`). */
export function onlineReplicas(info: string): number {
  return info.split(/\r?\n/).filter((l) => /^slave\d+:/.test(l) && /state=online/.test(l)).length;
}

export class DurableWrites {
  readonly #replicas = new Map<string, number>();
  readonly #inFlight = new Map<string, Promise<number>>();
  readonly #queued = new Map<string, { key: string; wanted: number; promise: Promise<number> }>();
  #timer: NodeJS.Timeout | undefined;
  #refreshing: Promise<void> | null = null;
  #unsupported = false;

  /**
   * @param client the connection durable writes go through: a dedicated one
   *   when the policy waits, else the store's main connection.
   */
  constructor(
    readonly client: RedisClient,
    readonly policy: WaitPolicy,
    private readonly onWarning: (message: string) => void = () => undefined,
  ) {
    if (policy.replicas > 0) {
      this.#timer = setInterval(() => void this.refresh(), REFRESH_EVERY_MS);
      this.#timer.unref();
      client.on('ready', () => void this.refresh());
    }
  }

  get #clustered(): boolean {
    return (this.client as Cluster).isCluster === true;
  }

  /**
   * Runs `write` on the durable connection, then waits for the replicas of
   * the primary that holds `slotKey` (any key the write touched).
   */
  write<T>(slotKey: string, write: (c: RedisClient) => Promise<T>): Promise<T> {
    // Nothing to confirm: no async step of its own.
    if (this.#wanted(slotKey) === 0) return guarded(() => write(this.client));
    return this.#writeAndConfirm(slotKey, write);
  }

  async #writeAndConfirm<T>(slotKey: string, write: (c: RedisClient) => Promise<T>): Promise<T> {
    const result = await guarded(() => write(this.client));
    await this.confirm(slotKey);
    return result;
  }

  /** Waits until the writes made so far on the durable connection to `slotKey`'s primary are on its replicas. */
  async confirm(slotKey: string): Promise<void> {
    const wanted = this.#wanted(slotKey);
    if (wanted === 0) return;
    const node = this.#nodeOf(slotKey);
    const acked = await guarded(() => this.#wait(node, slotKey, wanted));
    if (acked < wanted) {
      void this.refresh();
      throw new StoreUnavailableError('the write was not confirmed by a replica in time; retry');
    }
  }

  /** Re-reads how many replicas each primary has online. */
  refresh(): Promise<void> {
    this.#refreshing ??= this.#readReplicaCounts().finally(() => { this.#refreshing = null; });
    return this.#refreshing;
  }

  /** Replicas online per primary, as last read (`primary` outside a Cluster). */
  replicaCounts(): ReadonlyMap<string, number> {
    return this.#replicas;
  }

  close(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** The replicas that must confirm a write to `slotKey`'s primary now: 0 when the policy never waits, WAIT is missing or none is online. */
  #wanted(slotKey: string): number {
    if (this.policy.replicas === 0 || this.#unsupported) return 0;
    return Math.min(this.policy.replicas, this.#replicas.get(this.#nodeOf(slotKey)) ?? 0);
  }

  #nodeOf(key: string): string {
    if (!this.#clustered) return SINGLE;
    return (this.client as Cluster).slots[slotOf(key)]?.[0] ?? 'unknown';
  }

  /** One WAIT per primary at a time; callers arriving meanwhile share the next one. */
  #wait(node: string, key: string, wanted: number): Promise<number> {
    if (!this.#inFlight.has(node)) return this.#send(node, key, wanted);
    const queued = this.#queued.get(node);
    if (queued) {
      queued.wanted = Math.max(queued.wanted, wanted);
      return queued.promise;
    }
    const entry = { key, wanted, promise: Promise.resolve(0) };
    entry.promise = this.#inFlight.get(node)!.catch(() => 0).then(() => {
      this.#queued.delete(node);
      return this.#send(node, entry.key, entry.wanted);
    });
    this.#queued.set(node, entry);
    return entry.promise;
  }

  #send(node: string, key: string, wanted: number): Promise<number> {
    const sent = this.#waitCommand(key, wanted).finally(() => {
      if (this.#inFlight.get(node) === sent) this.#inFlight.delete(node);
    });
    this.#inFlight.set(node, sent);
    return sent;
  }

  async #waitCommand(key: string, wanted: number): Promise<number> {
    try {
      if (!this.#clustered) return await this.client.wait(wanted, this.policy.timeoutMs);
      // A pipeline goes to the node of its keyed command, and WAIT with it: the connection the write went through.
      const [, acked] = repliesOf(await this.client.pipeline().exists(key).wait(wanted, this.policy.timeoutMs).exec());
      return acked as number;
    } catch (err) {
      if (err instanceof Error && /unknown command|not allowed/i.test(err.message)) {
        // A Redis-compatible service without WAIT: say so once, and stop asking.
        this.#unsupported = true;
        this.onWarning(`WAIT is not available (${err.message}): security-critical writes are not confirmed on a replica`);
        return wanted;
      }
      throw err;
    }
  }

  async #readReplicaCounts(): Promise<void> {
    try {
      const nodes = this.#clustered
        ? (this.client as Cluster).nodes('master').map((r) => ({ node: `${r.options.host}:${r.options.port}`, redis: r as RedisClient }))
        : [{ node: SINGLE, redis: this.client }];
      const counts = await Promise.all(nodes.map(async ({ node, redis }) => [node, onlineReplicas(await redis.info('replication'))] as const));
      // A primary that had replicas and has none now is worth a warning; one that never had any is a deployment choice.
      const lost = counts.filter(([node, n]) => n === 0 && (this.#replicas.get(node) ?? 0) > 0).map(([node]) => node);
      this.#replicas.clear();
      for (const [node, n] of counts) this.#replicas.set(node, n);
      if (lost.length) {
        this.onWarning(`no replica online for ${this.#clustered ? `the primaries ${lost.join(',')}` : 'the primary'} any more: ` +
          'security-critical writes there are acknowledged without a replica copy until one is back');
      }
    } catch {
      // Unreachable now: keep the last counts; the next refresh tries again.
    }
  }
}
