/**
 * A webhook receiver on a free loopback port, as a customer would run one:
 * it keeps every request (headers and the raw body) and answers with what
 * the test says (a status, or holding the request without an answer).
 * Signatures are checked with the Standard Webhooks reference library.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { openApiAjv, pointer, resolvePointer } from './openapi.js';

export interface Received {
  headers: http.IncomingHttpHeaders;
  body: string;
  /** The parsed body: `{type, timestamp, data}`. */
  event: { type: string; timestamp: string; data: Record<string, unknown> };
}

export interface Receiver {
  url: string;
  received: Received[];
  /** What the next requests get: a status, or `hold` (no answer until close). */
  answer: number | 'hold';
  /** Resolves once `n` requests have arrived in all. */
  waitFor(n: number, timeoutMs?: number): Promise<Received[]>;
  close(): Promise<void>;
}

export async function startReceiver(path = '/hooks'): Promise<Receiver> {
  const held: http.ServerResponse[] = [];
  const waiters: Array<() => void> = [];
  const receiver: Receiver = {
    url: '',
    received: [],
    answer: 204,
    async waitFor(n, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (receiver.received.length < n) {
        if (Date.now() > deadline) throw new Error(`the receiver got ${receiver.received.length} requests, not ${n}`);
        await new Promise<void>((resolve) => { waiters.push(resolve); setTimeout(resolve, 50); });
      }
      return receiver.received;
    },
    async close() {
      for (const res of held) res.destroy();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      receiver.received.push({ headers: req.headers, body, event: JSON.parse(body) as Received['event'] });
      for (const w of waiters.splice(0)) w();
      if (req.url !== path) {
        res.writeHead(404).end();
      } else if (receiver.answer === 'hold') {
        held.push(res);
      } else {
        res.writeHead(receiver.answer).end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}${path}`;
  return receiver;
}

/**
 * Verifies a received request with the `standardwebhooks` library, as of
 * `atMs` (the library checks the timestamp against its clock, which tests
 * that move time must move too), and checks the event against its schema
 * under `webhooks` in openapi.yaml. Throws when either fails.
 */
export function verifyReceived(secret: string, r: Received, atMs: number): unknown {
  const realNow = Date.now;
  Date.now = () => atMs;
  let event: unknown;
  try {
    event = new Webhook(secret).verify(r.body, {
      'webhook-id': String(r.headers['webhook-id']),
      'webhook-timestamp': String(r.headers['webhook-timestamp']),
      'webhook-signature': String(r.headers['webhook-signature']),
    });
  } finally {
    Date.now = realNow;
  }
  assertEventDocumented(event);
  return event;
}

/** Throws unless `event` is what openapi.yaml documents for its type (`webhooks.<type>`). */
export function assertEventDocumented(event: unknown): void {
  const type = (event as { type?: unknown }).type;
  const at = pointer('webhooks', String(type), 'post', 'requestBody', 'content', 'application/json', 'schema');
  if (resolvePointer(at) === undefined) throw new Error(`event type ${String(type)} is not documented under webhooks in openapi.yaml`);
  const validate = openApiAjv().compile({ $ref: `openapi.yaml${at.split('/').map((s, i) => (i === 0 ? s : encodeURIComponent(s))).join('/')}` });
  if (!validate(event)) throw new Error(`event ${String(type)} does not match openapi.yaml (${at}): ${JSON.stringify(validate.errors)}`);
}
