/**
 * The HTTP listeners and what one client connection may hold of them.
 * Node's own defaults suit a general web server, not a token server whose
 * requests are a few hundred bytes: headers may take 60 s to arrive and a
 * request 300 s, and the check runs only every 30 s, so a slowloris client
 * (headers trickled) or a slow body keeps its socket for minutes. Here:
 *
 * - headersTimeoutMs: the request line and headers must be in within it
 *   (TESSERA_HEADERS_TIMEOUT, default 10 s), else 408 and the connection
 *   is closed;
 * - requestTimeoutMs: the whole request, body included (TESSERA_REQUEST_TIMEOUT,
 *   default 30 s), else 408 and closed;
 * - keepAliveTimeoutMs: an idle keep-alive connection is closed after it
 *   (TESSERA_KEEP_ALIVE_TIMEOUT, default 5 s; answers advertise it in
 *   `Keep-Alive: timeout=`, and Node closes the socket up to a second later,
 *   so that clients close first; behind a proxy that reuses connections,
 *   set it above the proxy's own idle timeout);
 * - maxConnections: connections beyond it are closed as soon as they are
 *   accepted (TESSERA_MAX_CONNECTIONS, default 10 000; the process also
 *   needs that many file descriptors);
 * - maxHeadersCount: a request with more header fields is refused with 431
 *   (TESSERA_MAX_HEADERS_COUNT, default 100), rather than Node's silent
 *   dropping of the fields past its limit;
 * - maxHeaderSize: request line and headers together, bytes, else 431
 *   (TESSERA_MAX_HEADER_SIZE, default 16 KiB, Node's own).
 */
import http from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';

export interface ConnectionLimits {
  readonly headersTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly keepAliveTimeoutMs: number;
  readonly maxConnections: number;
  readonly maxHeadersCount: number;
  readonly maxHeaderSize: number;
}

/**
 * How often Node looks for requests past their headers or request timeout:
 * a quarter of the shorter one, at most once a second (Node's default is
 * every 30 s, which would let a 10 s limit run to 40 s).
 */
export function checkingIntervalMs(limits: ConnectionLimits): number {
  return Math.max(25, Math.min(1_000, Math.floor(Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs) / 4)));
}

const TOO_MANY_HEADERS = JSON.stringify({ error: 'invalid_request', error_description: 'too many header fields' });
const HEADERS_TOO_LARGE = JSON.stringify({ error: 'invalid_request', error_description: 'too many header fields, or header fields too large' });

/**
 * Answers to requests the HTTP parser refused, written on the socket as Node
 * itself does when no `clientError` listener is set (node:_http_server),
 * except that a header overflow gets the JSON 431 that every other refusal
 * of this server has. Node 20 parses past `maxHeadersCount` (the request
 * listener below counts), Node 22's parser refuses the request with a header
 * overflow: both answer 431 with a body.
 */
const PARSER_REFUSALS: Record<string, string> = {
  HPE_HEADER_OVERFLOW: 'HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Type: application/json\r\n'
    + `Content-Length: ${Buffer.byteLength(HEADERS_TOO_LARGE)}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n${HEADERS_TOO_LARGE}`,
  HPE_CHUNK_EXTENSIONS_OVERFLOW: 'HTTP/1.1 413 Payload Too Large\r\nConnection: close\r\n\r\n',
  ERR_HTTP_REQUEST_TIMEOUT: 'HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n\r\n',
};
const BAD_REQUEST = 'HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n';

function onClientError(err: NodeJS.ErrnoException, socket: Duplex): void {
  if (socket.writable && (socket as Socket).bytesWritten === 0) socket.write(PARSER_REFUSALS[err.code ?? ''] ?? BAD_REQUEST);
  socket.destroy(err);
}

/** RFC 6585 §5: 431 for a request with more header fields than the server takes. */
function refuseTooManyHeaders(max: number, listener: http.RequestListener): http.RequestListener {
  return (req, res) => {
    if (req.rawHeaders.length / 2 <= max) return listener(req, res);
    res.shouldKeepAlive = false;
    res.writeHead(431, {
      'Content-Type': 'application/json',
      'Content-Length': Buffer.byteLength(TOO_MANY_HEADERS),
      'Cache-Control': 'no-store',
      Connection: 'close',
    });
    res.end(TOO_MANY_HEADERS);
  };
}

/** A listener with the limits above, serving `listener`. */
export function createHttpServer(limits: ConnectionLimits, listener: http.RequestListener): http.Server {
  const server = http.createServer({
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    maxHeaderSize: limits.maxHeaderSize,
    connectionsCheckingInterval: checkingIntervalMs(limits),
  }, refuseTooManyHeaders(limits.maxHeadersCount, listener));
  server.keepAliveTimeout = limits.keepAliveTimeoutMs;
  server.maxConnections = limits.maxConnections;
  // One more than allowed is parsed, so that a request over the limit is seen and refused.
  server.maxHeadersCount = limits.maxHeadersCount + 1;
  server.on('clientError', onClientError);
  return server;
}
