import { REVOCATION_MARGIN_MS } from '../../src/core/tokens/clock-tolerance.js';
import { MemoryStore } from '../../src/store/memory-store.js';
import { describeStoreContract, sleep } from './store-contract.js';
import { describeUsersContract } from './users-contract.js';
import { describeGrantRecordsContract } from './grants-contract.js';
import { describeApiTokensContract } from './api-tokens-contract.js';
import { describeAuditContract } from './audit-contract.js';
import { describeRateLimitsContract } from './rate-limits-contract.js';
import { describeRevocationFeedContract } from './revocation-feed-contract.js';
import { describeUsageContract } from './usage-contract.js';
import { describeWebhooksContract } from './webhooks-contract.js';
import { describeCountersContract } from './counters-contract.js';
import { describeJobsContract } from './jobs-contract.js';
import { describeSigningKeysContract } from './signing-keys-contract.js';
import { describeBaselinesContract } from './baselines-contract.js';
import { describeReplayContract } from './replay-contract.js';
import { describeTrustPoliciesContract } from './trust-policies-contract.js';

describeStoreContract('MemoryStore', async () => new MemoryStore());

describe('MemoryStore expiry', () => {
  /** The exp of a token whose revocation entry goes at `at` (entries outlive exp by the largest clock tolerance). */
  const goneAt = (at: number) => at - REVOCATION_MARGIN_MS;

  function storeAt(start: number, options: { sweepIntervalMs?: number } = {}): { store: MemoryStore; advance: (ms: number) => void } {
    let now = start;
    const store = new MemoryStore({ now: () => now, ...options });
    return { store, advance: (ms) => { now += ms; } };
  }

  it('follows the injected clock', async () => {
    const { store, advance } = storeAt(1_000_000);
    await store.revocations.add('jti', goneAt(1_000_000 + 60_000));
    await expect(store.revocations.has('jti')).resolves.toBe(true);
    advance(59_999);
    await expect(store.revocations.has('jti')).resolves.toBe(true);
    advance(1);
    await expect(store.revocations.has('jti')).resolves.toBe(false);
    await store.close();
  });

  it('does not keep an entry that expires now or earlier', async () => {
    const { store } = storeAt(5_000);
    await store.revocations.add('now', goneAt(5_000));
    await store.revocations.add('past', goneAt(4_000));
    expect(store.revocationEntryCount).toBe(0);
    await store.close();
  });

  it('drops an expired entry when it is read', async () => {
    const { store, advance } = storeAt(0);
    await store.revocations.add('jti', goneAt(100));
    advance(100);
    expect(store.revocationEntryCount).toBe(1);
    await store.revocations.has('jti');
    expect(store.revocationEntryCount).toBe(0);
    await store.close();
  });

  it('sweeps expired entries that are never read again', async () => {
    const { store, advance } = storeAt(0);
    await store.revocations.add('short-1', goneAt(100));
    await store.revocations.add('short-2', goneAt(200));
    await store.revocations.add('long', goneAt(10_000));
    advance(500);
    expect(store.sweepExpired()).toBe(2);
    expect(store.revocationEntryCount).toBe(1);
    await expect(store.revocations.has('long')).resolves.toBe(true);
    await store.close();
  });

  it('sweeps on its own interval, and stops sweeping once closed', async () => {
    const { store, advance } = storeAt(0, { sweepIntervalMs: 20 });
    await store.revocations.add('jti', goneAt(100));
    advance(1_000);
    await sleep(80);
    expect(store.revocationEntryCount).toBe(0);

    await store.close();
    let sweeps = 0;
    const original = store.sweepExpired.bind(store);
    store.sweepExpired = () => { sweeps++; return original(); };
    await sleep(80);
    expect(sweeps).toBe(0);
  });
});

describeUsersContract('MemoryStore', async () => new MemoryStore());
describeGrantRecordsContract('MemoryStore', async () => new MemoryStore());
describeApiTokensContract('MemoryStore', async () => new MemoryStore());
describeAuditContract('MemoryStore', async () => new MemoryStore());
describeRateLimitsContract('MemoryStore', async () => new MemoryStore());
describeRevocationFeedContract('MemoryStore', async () => new MemoryStore());
describeUsageContract('MemoryStore', async () => new MemoryStore());
describeWebhooksContract('MemoryStore', async () => new MemoryStore());
describeCountersContract('MemoryStore', async () => new MemoryStore());
describeJobsContract('MemoryStore', async () => new MemoryStore());
describeBaselinesContract('MemoryStore', async () => new MemoryStore());
describeReplayContract('MemoryStore', async () => new MemoryStore());
describeTrustPoliciesContract('MemoryStore', async () => new MemoryStore());

describeSigningKeysContract('MemoryStore', async () => new MemoryStore());
