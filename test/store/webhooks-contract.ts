/** Webhook endpoints and the delivery queue: behaviour every Store must have (memory and a real Redis). */
import type { Store, WebhookDeliveryRecord, WebhookEndpointRecord } from '../../src/store/store.js';
import { sleep } from './store-contract.js';

export function endpoint(id: string, overrides: Partial<WebhookEndpointRecord> = {}): WebhookEndpointRecord {
  return {
    id, url: `https://hooks.example.com/${id}`, description: null, event_types: null, disabled: false,
    secret: 'whsec_c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0', previous_secret: null, previous_expires_at: null,
    created_at: 1_000, created_by: { type: 'client', id: 'admin' }, updated_at: 1_000, secret_rotated_at: null, ...overrides,
  };
}

export function delivery(id: string, overrides: Partial<WebhookDeliveryRecord> = {}): WebhookDeliveryRecord {
  return {
    id, endpoint_id: 'whe_a', message_id: `msg_${id}`, event_type: 'api_token.created', payload: '{"type":"api_token.created"}',
    created_at: 1_000, state: 'pending', attempts: 0, next_attempt_at: 1_000, last_attempt_at: null, last_status: null, last_error: null,
    ...overrides,
  };
}

export function describeWebhooksContract<S extends Store>(name: string, makeStore: () => Promise<S>, cleanup?: (s: S) => Promise<void>): void {
  describe(`Webhooks contract: ${name}`, () => {
    let store: S;
    beforeEach(async () => { store = await makeStore(); });
    afterEach(async () => { await cleanup?.(store); await store.close(); });

    describe('endpoints', () => {
      test('are created once per id, read back, replaced, listed by id and deleted', async () => {
        const a = endpoint('whe_a', { event_types: ['api_token.created'], description: 'ops' });
        await expect(store.webhooks.createEndpoint(a)).resolves.toBe(true);
        await expect(store.webhooks.createEndpoint(endpoint('whe_a'))).resolves.toBe(false);
        await expect(store.webhooks.getEndpoint('whe_a')).resolves.toEqual(a);
        await expect(store.webhooks.getEndpoint('whe_none')).resolves.toBeNull();

        const changed = { ...a, url: 'https://other.example.com/', disabled: true, updated_at: 2_000 };
        await expect(store.webhooks.replaceEndpoint(changed)).resolves.toBe(true);
        await expect(store.webhooks.getEndpoint('whe_a')).resolves.toEqual(changed);
        await expect(store.webhooks.replaceEndpoint(endpoint('whe_ghost'))).resolves.toBe(false);
        await expect(store.webhooks.getEndpoint('whe_ghost')).resolves.toBeNull();

        for (const id of ['whe_c', 'whe_b']) await store.webhooks.createEndpoint(endpoint(id));
        await expect(store.webhooks.countEndpoints()).resolves.toBe(3);
        const first = await store.webhooks.listEndpoints({ limit: 2 });
        expect(first.items.map((e) => e.id)).toEqual(['whe_a', 'whe_b']);
        const second = await store.webhooks.listEndpoints({ limit: 2, cursor: first.next_cursor! });
        expect(second).toEqual({ items: [endpoint('whe_c')], next_cursor: null });

        await expect(store.webhooks.deleteEndpoint('whe_b')).resolves.toBe(true);
        await expect(store.webhooks.deleteEndpoint('whe_b')).resolves.toBe(false);
        expect((await store.webhooks.listEndpoints({ limit: 10 })).items.map((e) => e.id)).toEqual(['whe_a', 'whe_c']);
        await expect(store.webhooks.countEndpoints()).resolves.toBe(2);
      });
    });

    describe('the delivery queue', () => {
      test('hands out only due deliveries, oldest due first, each to one claimer until its lease ends', async () => {
        await store.webhooks.enqueue([
          delivery('whd_3', { next_attempt_at: 3_000 }), delivery('whd_1', { next_attempt_at: 1_000 }), delivery('whd_2', { next_attempt_at: 2_000 }),
        ]);
        expect(await store.webhooks.claim(500, 10, 60_000)).toEqual([]);
        expect((await store.webhooks.claim(2_000, 10, 60_000)).map((d) => d.id)).toEqual(['whd_1', 'whd_2']);
        // Leased: not due again until the lease ends, whoever asks.
        expect((await store.webhooks.claim(3_000, 10, 60_000)).map((d) => d.id)).toEqual(['whd_3']);
        expect(await store.webhooks.claim(61_999, 10, 60_000)).toEqual([]);
        expect((await store.webhooks.claim(62_000, 1, 60_000)).map((d) => d.id)).toEqual(['whd_1']);
        await expect(store.webhooks.counts()).resolves.toEqual({ pending: 3, dead: 0 });
      });

      test('hands each due delivery to exactly one of many concurrent claimers', async () => {
        await store.webhooks.enqueue(Array.from({ length: 20 }, (_, i) => delivery(`whd_${String(i).padStart(2, '0')}`)));
        const batches = await Promise.all(Array.from({ length: 8 }, () => store.webhooks.claim(5_000, 5, 60_000)));
        const ids = batches.flat().map((d) => d.id);
        expect(ids).toHaveLength(20);
        expect(new Set(ids).size).toBe(20);
      });

      test('a failed attempt is stored with its next due time; a delivered one is gone', async () => {
        await store.webhooks.enqueue([delivery('whd_1'), delivery('whd_2')]);
        const [d] = await store.webhooks.claim(1_000, 1, 60_000);
        const failed = { ...d!, attempts: 1, last_attempt_at: 1_000, last_status: 500, last_error: 'HTTP 500', next_attempt_at: 6_000 };
        await expect(store.webhooks.retry(failed)).resolves.toBe(true);
        await expect(store.webhooks.getDelivery('whd_1')).resolves.toEqual(failed);
        expect((await store.webhooks.claim(5_999, 10, 60_000)).map((x) => x.id)).toEqual(['whd_2']);
        expect(await store.webhooks.claim(6_000, 10, 60_000)).toEqual([failed]);

        await store.webhooks.delivered('whd_1');
        await expect(store.webhooks.getDelivery('whd_1')).resolves.toBeNull();
        // A late retry of a delivery that is gone does not bring it back.
        await expect(store.webhooks.retry(failed)).resolves.toBe(false);
        await expect(store.webhooks.getDelivery('whd_1')).resolves.toBeNull();
        await expect(store.webhooks.counts()).resolves.toEqual({ pending: 1, dead: 0 });
      });

      test('dead letters are listed by id, per endpoint too, redelivered once, and kept only until their retention ends', async () => {
        const now = Date.now();
        await store.webhooks.enqueue([delivery('whd_1'), delivery('whd_2', { endpoint_id: 'whe_b' }), delivery('whd_3')]);
        for (const id of ['whd_1', 'whd_2', 'whd_3']) {
          await store.webhooks.deadLetter(delivery(id, { endpoint_id: id === 'whd_2' ? 'whe_b' : 'whe_a', attempts: 8, last_status: 503 }), now + (id === 'whd_3' ? 200 : 60_000));
        }
        expect(await store.webhooks.claim(now + 100_000, 10, 60_000)).toEqual([]);
        const all = await store.webhooks.listDead({}, { limit: 2 });
        expect(all.items.map((d) => [d.id, d.state, d.attempts])).toEqual([['whd_1', 'dead', 8], ['whd_2', 'dead', 8]]);
        expect((await store.webhooks.listDead({}, { limit: 2, cursor: all.next_cursor! })).items.map((d) => d.id)).toEqual(['whd_3']);
        expect((await store.webhooks.listDead({ endpointId: 'whe_b' }, { limit: 10 })).items.map((d) => d.id)).toEqual(['whd_2']);
        await expect(store.webhooks.counts()).resolves.toEqual({ pending: 0, dead: 3 });

        const again = await store.webhooks.redeliver('whd_1', 50_000);
        expect(again).toMatchObject({ id: 'whd_1', state: 'pending', attempts: 0, next_attempt_at: 50_000, last_status: 503 });
        await expect(store.webhooks.redeliver('whd_1', 50_000)).resolves.toBeNull();
        await expect(store.webhooks.redeliver('whd_none', 50_000)).resolves.toBeNull();
        expect(await store.webhooks.claim(50_000, 10, 60_000)).toEqual([again]);
        expect((await store.webhooks.listDead({}, { limit: 10 })).items.map((d) => d.id)).toEqual(['whd_2', 'whd_3']);

        await sleep(300);
        expect((await store.webhooks.listDead({}, { limit: 10 })).items.map((d) => d.id)).toEqual(['whd_2']);
        await expect(store.webhooks.getDelivery('whd_3')).resolves.toBeNull();
        await expect(store.webhooks.redeliver('whd_3', 50_000)).resolves.toBeNull();
        await expect(store.webhooks.counts()).resolves.toEqual({ pending: 1, dead: 1 });
      });
    });
  });
}
