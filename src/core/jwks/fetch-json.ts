/**
 * Fetching a small JSON document from a URL an administrator configured (a
 * JWKS, an OpenID discovery document), defensively: one attempt, no
 * redirects followed, a deadline for the whole exchange, a cap on the body
 * read (checked while reading, so a huge or endless answer costs at most the
 * cap), and only a 200 with a JSON object counts.
 */
import { outboundUrlProblem } from './outbound-url.js';

export interface FetchLimits {
  /** Whole exchange, connect to last byte. */
  timeoutMs: number;
  /** Largest body read. */
  maxBytes: number;
}

export const DEFAULT_FETCH_LIMITS: FetchLimits = Object.freeze({ timeoutMs: 5_000, maxBytes: 256 * 1024 });

/** A fetch that failed; `reason` is safe to log (never a body). */
export class FetchFailedError extends Error {
  constructor(readonly url: string, readonly reason: string) {
    super(`${url}: ${reason}`);
    this.name = 'FetchFailedError';
  }
}

async function readCapped(body: ReadableStream<Uint8Array>, maxBytes: number, url: string): Promise<string> {
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw new FetchFailedError(url, `the answer is larger than ${maxBytes} bytes`);
    }
    chunks.push(value);
  }
  return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks));
}

export async function fetchJsonObject(url: string, limits: FetchLimits = DEFAULT_FETCH_LIMITS): Promise<Record<string, unknown>> {
  const problem = outboundUrlProblem(url);
  if (problem) throw new FetchFailedError(url, `the URL ${problem}`);
  const signal = AbortSignal.timeout(limits.timeoutMs);
  let text: string;
  try {
    const res = await fetch(url, {
      // A redirect could lead anywhere, including off https: an administrator names the final URL.
      redirect: 'error',
      signal,
      headers: { accept: 'application/json, application/jwk-set+json' },
    });
    if (res.status !== 200) {
      await res.body?.cancel().catch(() => undefined);
      throw new FetchFailedError(url, `answered HTTP ${res.status}`);
    }
    const declared = Number(res.headers.get('content-length') ?? '0');
    if (declared > limits.maxBytes) {
      await res.body?.cancel().catch(() => undefined);
      throw new FetchFailedError(url, `the answer is larger than ${limits.maxBytes} bytes`);
    }
    text = res.body ? await readCapped(res.body, limits.maxBytes, url) : '';
  } catch (err) {
    if (err instanceof FetchFailedError) throw err;
    if (signal.aborted) throw new FetchFailedError(url, `no complete answer within ${limits.timeoutMs} ms`);
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    throw new FetchFailedError(url, cause?.code ?? cause?.message ?? (err instanceof Error ? err.message : 'fetch failed'));
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new FetchFailedError(url, 'the answer is not JSON');
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) throw new FetchFailedError(url, 'the answer is not a JSON object');
  return data as Record<string, unknown>;
}
