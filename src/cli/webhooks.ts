/**
 * `tessera webhooks create|list|get|update|delete|rotate-secret|test|dead-letters|redeliver`:
 * clients of /admin/v1/webhooks through the generated client.
 */
import { Command, Option } from 'commander';
import type { components } from '../client/tessera-client.js';
import { WEBHOOK_EVENT_TYPES } from '../core/webhooks/event-types.js';
import { UsageError } from './cli-errors.js';
import { adminAction, adminOptions, CREDENTIALS_HELP, integer, pathId, print, type CliIo, type JsonOption, type UrlOption } from './cli-support.js';
import { fetchPages, pageLines, withPaging, type PagingOptions } from './paging.js';
import { deliveryLines, deliveryTable, endpointLines, endpointTable, endpointWithSecretLines } from './webhook-format.js';

type Common = UrlOption & JsonOption;
type EventType = components['schemas']['WebhookEventType'];

const endpointPath = (id: string) => ({ params: { path: { webhook_id: id } } });
const ENDPOINT_ID = ['<id>', 'the endpoint id (whe_...)', pathId('endpoint id')] as const;
const EVENTS_HELP = `\nEvent types: ${WEBHOOK_EVENT_TYPES.join(', ')}.\n` +
  'Events are signed per Standard Webhooks (webhook-id, webhook-timestamp, webhook-signature) with the endpoint\'s secret.';

const eventOption = () => new Option('--event <type...>', 'event types to send (default: all, including types added later)').choices(WEBHOOK_EVENT_TYPES);

export function registerWebhooks(program: Command, io: CliIo): void {
  const group = program
    .command('webhooks')
    .description('webhook endpoints that receive Tessera\'s events, and the dead-letter list, through the admin API')
    .addHelpText('after', CREDENTIALS_HELP);

  adminOptions(group.command('create').description('add an endpoint; prints its signing secret once')
    .argument('<endpoint-url>', 'where events are POSTed (http or https)'))
    .addOption(eventOption())
    .option('--description <text>', 'what it is for')
    .option('--disabled', 'create it disabled (no events until enabled)')
    .addHelpText('after', `${EVENTS_HELP}\nExample:\n  tessera webhooks create https://hooks.example.com/tessera --event api_token.leaked api_token.suspicious_use`)
    .action(async (url: string, o: Common & { event?: EventType[]; description?: string; disabled?: boolean }) => {
      const body = { url, event_types: o.event, description: o.description, disabled: o.disabled };
      await adminAction(io, o, async (api) => {
        print(io, o, await api.call((c) => c.POST('/admin/v1/webhooks', { body })), endpointWithSecretLines);
      });
    });

  withPaging(adminOptions(group.command('list').description('list endpoints, by id')), 'endpoints')
    .action(async (o: Common & PagingOptions) => {
      await adminAction(io, o, async (api) => {
        const page = await fetchPages(o, (q) => api.call((c) => c.GET('/admin/v1/webhooks', { params: { query: q } })));
        print(io, o, page, (p) => pageLines(p, endpointTable, 'No webhook endpoints.'));
      });
    });

  adminOptions(group.command('get').description('show one endpoint (never its secret)').argument(...ENDPOINT_ID))
    .action(async (id: string, o: Common) => {
      await adminAction(io, o, async (api) => {
        print(io, o, await api.call((c) => c.GET('/admin/v1/webhooks/{webhook_id}', endpointPath(id))), endpointLines);
      });
    });

  adminOptions(group.command('update').description('change an endpoint: each option given replaces that field').argument(...ENDPOINT_ID))
    .option('--endpoint-url <url>', 'where events are POSTed')
    .addOption(eventOption().conflicts('allEvents'))
    .option('--all-events', 'send every event type')
    .option('--description <text>', 'what it is for ("" clears it)')
    .addOption(new Option('--disable', 'stop sending events to it').conflicts('enable'))
    .option('--enable', 'send events to it again')
    .action(async (id: string, o: Common & { endpointUrl?: string; event?: EventType[]; allEvents?: boolean; description?: string; disable?: boolean; enable?: boolean }) => {
      const body: components['schemas']['WebhookUpdateRequest'] = {
        url: o.endpointUrl,
        event_types: o.allEvents ? null : o.event,
        description: o.description === undefined ? undefined : o.description || null,
        disabled: o.disable ? true : o.enable ? false : undefined,
      };
      await adminAction(io, o, async (api) => {
        if (Object.values(body).every((v) => v === undefined)) throw new UsageError('nothing to change: give at least one option (see --help)');
        print(io, o, await api.call((c) => c.PATCH('/admin/v1/webhooks/{webhook_id}', { ...endpointPath(id), body })), endpointLines);
      });
    });

  adminOptions(group.command('delete').description('delete an endpoint; events queued for it are dropped').argument(...ENDPOINT_ID))
    .action(async (id: string, o: Common) => {
      await adminAction(io, o, async (api) => {
        await api.callNoContent((c) => c.DELETE('/admin/v1/webhooks/{webhook_id}', endpointPath(id)));
        print(io, o, { id, deleted: true }, () => [`Deleted webhook endpoint ${id}.`]);
      });
    });

  adminOptions(group.command('rotate-secret').description('give an endpoint a new signing secret; prints it once').argument(...ENDPOINT_ID))
    .option('--grace-period <seconds>', 'how long the old secret signs too (a second signature; at most 604800)', integer(0, 604_800, 'seconds'))
    .addHelpText('after', '\nExample:\n  tessera webhooks rotate-secret whe_Q2w3e4r5t6y7u8i9 --grace-period 86400')
    .action(async (id: string, o: Common & { gracePeriod?: number }) => {
      const body = o.gracePeriod === undefined ? undefined : { grace_period: o.gracePeriod };
      await adminAction(io, o, async (api) => {
        print(io, o, await api.call((c) => c.POST('/admin/v1/webhooks/{webhook_id}/secret', { ...endpointPath(id), body })), endpointWithSecretLines);
      });
    });

  adminOptions(group.command('test').description('send a webhook.test event to one endpoint').argument(...ENDPOINT_ID))
    .action(async (id: string, o: Common) => {
      await adminAction(io, o, async (api) => {
        const r = await api.call((c) => c.POST('/admin/v1/webhooks/{webhook_id}/test', endpointPath(id)));
        print(io, o, r, (x) => [`Queued webhook.test as ${x.message_id} (delivery ${x.delivery_id}).`]);
      });
    });

  withPaging(adminOptions(group.command('dead-letters').description('list deliveries whose every attempt failed (kept 30 days)')), 'dead letters')
    .option('--endpoint <id>', 'only this endpoint\'s')
    .action(async (o: Common & PagingOptions & { endpoint?: string }) => {
      await adminAction(io, o, async (api) => {
        const page = await fetchPages(o, (q) => api.call((c) => c.GET('/admin/v1/webhooks/dead-letters', { params: { query: { ...q, endpoint: o.endpoint } } })));
        print(io, o, page, (p) => pageLines(p, deliveryTable, 'No dead letters.'));
      });
    });

  adminOptions(group.command('redeliver').description('send a dead letter again, on the full retry schedule').argument('<delivery_id>', 'the dead letter\'s id (whd_...)', pathId('delivery id')))
    .action(async (id: string, o: Common) => {
      await adminAction(io, o, async (api) => {
        const again = await api.call((c) => c.POST('/admin/v1/webhooks/dead-letters/{delivery_id}/redeliver', { params: { path: { delivery_id: id } } }));
        print(io, o, again, deliveryLines);
      });
    });
}
