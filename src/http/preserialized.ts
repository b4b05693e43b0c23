/**
 * Answers with a JSON document serialised once (the JWKS on each key change,
 * the metadata at start): the text, its length in bytes and a strong ETag
 * are ready, so an answer is a few headers and one write (a string body is
 * written together with the head by Node, in one write; a Buffer would make
 * it a writev of two). If-None-Match naming
 * the ETag (RFC 9110 §13.1.2, weak comparison, `*` included) is a 304
 * without a body.
 */
import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { Request, Response } from 'express';
import fresh from 'fresh';

export interface Preserialized {
  readonly body: string;
  /** `body`'s length in UTF-8 bytes. */
  readonly length: number;
  /** Strong ETag (RFC 9110 §8.8.3): the same bytes give the same tag on every instance. */
  readonly etag: string;
}

export function strongEtag(body: string | Buffer): string {
  return `"${createHash('sha256').update(body).digest('base64url')}"`;
}

export function preserialize(body: string): Preserialized {
  return Object.freeze({ body, length: Buffer.byteLength(body, 'utf8'), etag: strongEtag(body) });
}

export const JSON_TYPE = 'application/json; charset=utf-8';

/**
 * `req.fresh` outside Express, for a 200 to GET or HEAD: the `fresh` module
 * it calls, with the answer's ETag and no Last-Modified (RFC 9110 §13.1.2:
 * If-None-Match by weak comparison, `*` included; a request Cache-Control:
 * no-cache is never fresh). Only when there is a validator to check, as
 * sendPreserialized does.
 */
export function isFresh(headers: IncomingHttpHeaders, etag: string): boolean {
  return headers['if-none-match'] !== undefined && fresh(headers, { etag });
}

export function sendPreserialized(req: Request, res: Response, doc: Preserialized, cacheControl: string): void {
  res.setHeader('Cache-Control', cacheControl);
  res.setHeader('ETag', doc.etag);
  res.setHeader('Content-Type', JSON_TYPE);
  // req.fresh (the `fresh` module) only when there is a validator to check: without If-None-Match it is false anyway (no Last-Modified is sent).
  if (req.headers['if-none-match'] !== undefined && req.fresh) {
    res.statusCode = 304;
    res.end();
    return;
  }
  res.statusCode = 200;
  res.setHeader('Content-Length', doc.length);
  // HEAD: the same headers, no body (RFC 9110 §9.3.2).
  if (req.method === 'HEAD') res.end();
  else res.end(doc.body, 'utf8');
}
