/**
 * Two apps served side by side over real listeners, for the tests that
 * check an answer given in front of Express's router against the Express
 * route's own: the raw answer as it came on the wire, and per request
 * whether Express's router got it.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import { createHttpServer } from '../../src/http/http-server.js';
import type { Harness } from './harness.js';

export interface Answer {
  status: number;
  /** Name and value pairs as they came on the wire, in order. */
  headers: Array<[string, string]>;
  body: Buffer;
}

export interface Served {
  server: http.Server;
  port: number;
  /** Per request: whether Express's router got it (Express gives the request its own prototype before routing). */
  routed: boolean[];
}

export type Headers = Record<string, string | string[]>;

/** `app` on a loopback port, behind the HTTP server src/main.ts uses. */
export async function serve(app: Express, limits: Harness['config']['connections']): Promise<Served> {
  const served: Served = { server: undefined as unknown as http.Server, port: 0, routed: [] };
  served.server = createHttpServer(limits, (req, res) => {
    app(req, res);
    served.routed.push(Object.getPrototypeOf(req) === app.request);
  });
  await new Promise<void>((r) => served.server.listen(0, '127.0.0.1', r));
  served.port = (served.server.address() as AddressInfo).port;
  return served;
}

/** Closes the listener and every connection still open on it. */
export async function unserve(served: Served): Promise<void> {
  served.server.closeAllConnections();
  await new Promise((r) => served.server.close(r));
}

/** One request on a connection of its own; the answer's headers raw, in order. */
export function ask(port: number, method: string, path: string, headers: Headers = {}, body?: string | Buffer): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const pairs: Array<[string, string]> = [];
        for (let i = 0; i < res.rawHeaders.length; i += 2) pairs.push([res.rawHeaders[i]!, res.rawHeaders[i + 1]!]);
        resolve({ status: res.statusCode!, headers: pairs, body: Buffer.concat(chunks) });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}
