/** `tessera webhooks ...` against a real Tessera over HTTP, in-process through run(), with a receiver on loopback. */
import { ADMIN_SECRET, startListeningHarness, type Harness } from '../support/harness.js';
import { adminCli } from '../support/cli.js';
import { startReceiver, verifyReceived, type Receiver } from '../support/webhook-receiver.js';

let h: Harness & { url: string };
let receiver: Receiver;
beforeAll(async () => {
  h = await startListeningHarness();
  receiver = await startReceiver();
});
afterAll(async () => {
  await h.stop();
  await receiver.close();
});

const { cli, json } = adminCli(() => h.url, ADMIN_SECRET);

test('create prints the endpoint and its secret once; test sends an event the printed secret verifies', async () => {
  const r = await cli(['webhooks', 'create', receiver.url, '--event', 'api_token.leaked', 'key.rotated', '--description', 'security']);
  expect(r).toMatchObject({ code: 0, stderr: '' });
  expect(r.stdout).toMatch(/^id: +whe_[A-Za-z0-9_-]{16}$/m);
  expect(r.stdout).toMatch(new RegExp(`^url: +${receiver.url.replace(/[.]/g, '\\.')}$`, 'm'));
  expect(r.stdout).toMatch(/^event_types: +api_token\.leaked key\.rotated$/m);
  expect(r.stdout).toMatch(/^disabled: +no$/m);
  const secret = /^secret: (whsec_\S+)$/m.exec(r.stdout)?.[1];
  expect(secret).toBeDefined();
  expect(r.stdout).toContain('will not be shown again');
  const id = /^id: +(\S+)$/m.exec(r.stdout)![1]!;

  const get = await cli(['webhooks', 'get', id]);
  expect(get.stdout).toMatch(/^description: +security$/m);
  expect(get.stdout).not.toContain('whsec_');

  const sent = await cli(['webhooks', 'test', id]);
  expect(sent.stdout).toMatch(/^Queued webhook\.test as msg_\S+ \(delivery whd_\S+\)\.$/m);
  await h.webhooks.runOnce();
  const [got] = await receiver.waitFor(1);
  expect(verifyReceived(secret!, got!, Date.now())).toMatchObject({ type: 'webhook.test', data: { endpoint_id: id } });
});

test('list prints a table; update changes what is given; rotate-secret prints the new secret and the overlap', async () => {
  const { id } = await json(['webhooks', 'create', `${receiver.url}/2`]);
  const list = await cli(['webhooks', 'list']);
  const [header, ...rows] = list.stdout.trimEnd().split('\n');
  expect(header).toMatch(/^ID +URL +EVENTS +DISABLED$/);
  expect(rows.find((l) => l.startsWith(id))).toMatch(new RegExp(`^${id} +\\S+/hooks/2 +all +no$`));

  expect(await json(['webhooks', 'update', id, '--disable', '--event', 'api_token.expiring'])).toMatchObject({ disabled: true, event_types: ['api_token.expiring'] });
  expect(await json(['webhooks', 'update', id, '--enable', '--all-events', '--description', '', '--endpoint-url', `${receiver.url}/3`])).toMatchObject({ disabled: false, event_types: null, description: null });

  const rotated = await cli(['webhooks', 'rotate-secret', id, '--grace-period', '3600']);
  expect(rotated.stdout).toMatch(/^secret: whsec_\S+$/m);
  expect(rotated.stdout).toMatch(/^The previous secret signs too until \S+Z\.$/m);

  expect(await cli(['webhooks', 'delete', id])).toMatchObject({ code: 0, stdout: `Deleted webhook endpoint ${id}.\n` });
  expect(await cli(['webhooks', 'get', id])).toMatchObject({ code: 1, stdout: '', stderr: expect.stringMatching(/^tessera: not_found: /) });
});

test('dead-letters lists what failed every attempt; redeliver queues it again, once', async () => {
  const { id } = await json(['webhooks', 'create', `${receiver.url}/dead`]);
  const [queued] = (await h.ctx.webhooks.test(id, { type: 'client', id: 'test' })).deliveries;
  await h.ctx.store.webhooks.deadLetter({ ...queued!, state: 'dead', attempts: 8, last_status: 502, last_error: 'HTTP 502' }, Date.now() + 60_000);

  const dead = await cli(['webhooks', 'dead-letters', '--endpoint', id]);
  const [header, row] = dead.stdout.trimEnd().split('\n');
  expect(header).toMatch(/^ID +ENDPOINT +EVENT +ATTEMPTS +DEAD AT +LAST ERROR$/);
  expect(row).toMatch(new RegExp(`^${queued!.id} +${id} +webhook\\.test +8 +\\S+ +HTTP 502$`));

  const again = await cli(['webhooks', 'redeliver', queued!.id]);
  expect(again.stdout).toMatch(/^state: +pending$/m);
  expect(again.stdout).toMatch(/^attempts: +0$/m);
  expect(await cli(['webhooks', 'redeliver', queued!.id])).toMatchObject({ code: 1, stderr: expect.stringMatching(/^tessera: not_found: /) });
  expect((await cli(['webhooks', 'dead-letters', '--endpoint', id])).stdout).toBe('No dead letters.\n');
});

test('bad usage is exit 2 and never reaches the server', async () => {
  expect(await cli(['webhooks', 'create', receiver.url, '--event', 'token.issued'])).toMatchObject({ code: 2, stdout: '' });
  expect(await cli(['webhooks', 'create'])).toMatchObject({ code: 2, stdout: '' });
  expect(await cli(['webhooks', 'update', 'whe_AAAAAAAAAAAAAAAA'])).toMatchObject({ code: 2, stdout: '', stderr: expect.stringContaining('nothing to change') });
  expect(await cli(['webhooks', 'rotate-secret', 'whe_AAAAAAAAAAAAAAAA', '--grace-period', '604801'])).toMatchObject({ code: 2, stdout: '' });
  expect(await cli(['webhooks', 'update', 'whe_AAAAAAAAAAAAAAAA', '--enable', '--disable'])).toMatchObject({ code: 2, stdout: '' });
  expect(await cli(['webhooks', 'create', 'ftp://x'])).toMatchObject({ code: 1, stderr: expect.stringMatching(/^tessera: invalid_request: url: /) });
});
