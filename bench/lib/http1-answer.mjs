// The answer to one request on a keep-alive HTTP/1.1 connection, read only as
// far as its framing needs (RFC 9112 section 6.3): the status line, then
// Content-Length or chunked framing, interim 1xx answers skipped, no body
// after HEAD, 204 or 304. For the bench's raw-TCP load generators
// (rate-runner.mjs, lean-runner.mjs), which send one request at a time on a
// connection (no pipelining), so any byte beyond the answer, or one that
// arrives when no request is waiting, means the framing is broken.
// Buffers throughout: no string is made of the answer but its head, and of
// its body only when asked for (keepBody).
const LF = 10;
const CR = 13;
const MAX_HEAD = 65536;
const MAX_CHUNK_LINE = 4096;

/** The value of header `name` (lowercase) in a lowered head that ends with CRLF, trimmed; undefined when absent. */
function headerValue(head, name) {
  const at = head.indexOf(`\r\n${name}:`);
  if (at < 0) return undefined;
  const from = at + name.length + 3;
  return head.slice(from, head.indexOf('\r\n', from)).trim();
}

export class AnswerReader {
  #waiting = false;
  #headOnly;
  #keepBody;
  #headBuf = null; // bytes of an incomplete status line and header block
  #inBody = false;
  #remaining = 0; // body bytes still due (Content-Length, or the current chunk)
  #chunked = false;
  #chunkState = 0; // 0: size line, 1: data, 2: CRLF after data, 3: trailers
  #chunkLine = '';
  #status = 0;
  #closeAfter = false;
  #body = [];
  #complete = false;

  /** keepBody: hand the body to the caller (as a latin1 string); headOnly: the requests are HEAD (no body ever follows). */
  constructor({ keepBody = false, headOnly = false } = {}) {
    this.#keepBody = keepBody;
    this.#headOnly = headOnly;
  }

  /** A request has been sent: its answer is read next. */
  expect() {
    this.#waiting = true;
    this.#headBuf = null;
    this.#inBody = false;
    this.#remaining = 0;
    this.#chunked = false;
    this.#chunkState = 0;
    this.#chunkLine = '';
    this.#status = 0;
    this.#closeAfter = false;
    this.#body = [];
    this.#complete = false;
  }

  /**
   * Reads `chunk`. Returns null while the answer is incomplete, false when
   * the bytes are not the answer expected (the caller drops the
   * connection), or the answer: {status, body (null unless keepBody),
   * closeAfter (the server said Connection: close)}.
   */
  feed(chunk) {
    if (!this.#waiting) return false;
    let i = 0;
    while (i < chunk.length && !this.#complete) {
      if (!this.#inBody) {
        const buf = this.#headBuf ? Buffer.concat([this.#headBuf, chunk.subarray(i)]) : chunk.subarray(i);
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) {
          if (buf.length > MAX_HEAD) return false;
          this.#headBuf = Buffer.from(buf);
          return null;
        }
        const consumed = end + 4 - (this.#headBuf ? this.#headBuf.length : 0);
        if (!this.#parseHead(buf.toString('latin1', 0, end))) return false;
        this.#headBuf = null;
        i += consumed;
        if (this.#status < 200) continue;
        this.#inBody = true;
        if (!this.#chunked && this.#remaining === 0) this.#complete = true;
      } else if (!this.#chunked) {
        const n = Math.min(this.#remaining, chunk.length - i);
        if (this.#keepBody) this.#body.push(chunk.subarray(i, i + n));
        this.#remaining -= n;
        i += n;
        if (this.#remaining === 0) this.#complete = true;
      } else {
        i = this.#chunkData(chunk, i);
        if (i < 0) return false;
      }
    }
    if (!this.#complete) return null;
    // More bytes than the answer framed: not HTTP/1.1 as expected (one request at a time).
    if (i < chunk.length) return false;
    this.#waiting = false;
    const body = this.#keepBody ? (this.#body.length === 1 ? this.#body[0] : Buffer.concat(this.#body)).toString('latin1') : null;
    return { status: this.#status, body, closeAfter: this.#closeAfter };
  }

  /** Status line and the framing headers; false if it is not an HTTP/1.1 answer. */
  #parseHead(text) {
    if (!text.startsWith('HTTP/1.')) return false;
    this.#status = Number(text.slice(9, 12));
    if (!(this.#status >= 100 && this.#status <= 599)) return false;
    if (this.#status < 200) return true; // interim answer (RFC 9110 section 15.2): the final one follows
    // Three lookups in the lowered head, not a pass over every header line: the
    // servers under test send a dozen headers (security headers and the like).
    const head = `${text.toLowerCase()}\r\n`;
    const length = headerValue(head, 'content-length');
    this.#chunked = headerValue(head, 'transfer-encoding')?.endsWith('chunked') ?? false;
    this.#closeAfter = headerValue(head, 'connection')?.includes('close') ?? false;
    if (this.#headOnly || this.#status === 204 || this.#status === 304) { this.#chunked = false; this.#remaining = 0; return true; }
    if (this.#chunked) return true;
    const n = length === undefined ? -1 : Number(length);
    if (!(n >= 0)) return false; // read-until-close framing: not what a keep-alive server sends
    this.#remaining = n;
    return true;
  }

  /** Consumes chunked body bytes from chunk[i..]; returns the next index, or -1 on a framing error. */
  #chunkData(chunk, i) {
    while (i < chunk.length && !this.#complete) {
      if (this.#chunkState === 0 || this.#chunkState === 3) {
        const nl = chunk.indexOf(LF, i);
        this.#chunkLine += chunk.toString('latin1', i, nl < 0 ? chunk.length : nl + 1);
        if (this.#chunkLine.length > MAX_CHUNK_LINE) return -1;
        if (nl < 0) return chunk.length;
        i = nl + 1;
        const line = this.#chunkLine.trimEnd();
        this.#chunkLine = '';
        if (this.#chunkState === 3) {
          if (line === '') this.#complete = true;
          continue;
        }
        const size = parseInt(line, 16);
        if (!(size >= 0)) return -1;
        if (size === 0) this.#chunkState = 3;
        else { this.#remaining = size; this.#chunkState = 1; }
      } else if (this.#chunkState === 1) {
        const n = Math.min(this.#remaining, chunk.length - i);
        if (this.#keepBody) this.#body.push(chunk.subarray(i, i + n));
        this.#remaining -= n;
        i += n;
        if (this.#remaining === 0) { this.#chunkState = 2; this.#remaining = 2; }
      } else {
        const n = Math.min(this.#remaining, chunk.length - i);
        for (let k = 0; k < n; k++) if (chunk[i + k] !== (this.#remaining - k === 2 ? CR : LF)) return -1;
        this.#remaining -= n;
        i += n;
        if (this.#remaining === 0) this.#chunkState = 0;
      }
    }
    return i;
  }
}
