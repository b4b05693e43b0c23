/**
 * A JSON answer written as Express's `res.status().set().json()` writes it
 * (same status, headers in the same order, same body), for the hot
 * endpoints: without Express's content-type lookup and charset re-parsing
 * on each answer, and with the body a string, so that Node sends headers
 * and body in one write.
 */
import type { Response } from 'express';

const JSON_TYPE = 'application/json; charset=utf-8';

export function sendJson(res: Response, status: number, headers: Readonly<Record<string, string>>, body: unknown): void {
  const text = JSON.stringify(body);
  res.statusCode = status;
  for (const name in headers) res.setHeader(name, headers[name]!);
  res.setHeader('Content-Type', JSON_TYPE);
  res.setHeader('Content-Length', Buffer.byteLength(text));
  res.end(text);
}
