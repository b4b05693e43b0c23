/**
 * Logs on stdout: JSON lines (level names, ISO 8601 times) for machines, or
 * readable lines for a person at a terminal. Secrets are kept out twice over:
 * - by key: values under keys that name a credential (headers, OAuth and
 *   login form fields) are censored, whoever logs them;
 * - by shape: anything shaped like a Tessera secret (opaque tokens, JWTs,
 *   sealed values) is replaced wherever it ended up: a message, an error's
 *   message or stack, a nested field.
 * Secrets with no recognizable shape (passwords, client secrets, authorization
 * codes, CSRF tokens: random base64url, like the key ids and PKCE challenges
 * logs legitimately carry) are never logged at all; the key rules are the net
 * for a mistake.
 */
import { pino, type DestinationStream, type Logger, type LoggerOptions } from 'pino';
import pinoPretty from 'pino-pretty';

export const REDACTED = '[redacted]';

const HEADER_KEYS = ['authorization', 'proxy-authorization', 'cookie', 'set-cookie'];
const FIELD_KEYS = [
  'password', 'client_secret', 'client_assertion', 'code_verifier', 'code', 'csrf',
  'token', 'access_token', 'refresh_token', 'id_token', 'subject_token', 'actor_token', 'secret',
];

// pino's redaction: the top level and the usual containers. Leading-wildcard
// paths (`*.password`) would make pino walk every logged object and cost
// 15-50 times a plain log call; string values at any depth are caught by the
// line pass below instead.
const REDACT_PATHS = [
  ...[...HEADER_KEYS, ...FIELD_KEYS].map((k) => `["${k}"]`),
  ...['headers', 'req.headers', 'res.headers'].flatMap((c) => HEADER_KEYS.map((k) => `${c}["${k}"]`)),
  ...['body', 'query', 'params', 'form', 'req.body', 'req.query'].flatMap((c) => FIELD_KEYS.map((k) => `${c}["${k}"]`)),
];

// A Node error code (`ECONNREFUSED`, `ERR_INVALID_ARG_TYPE`) under `code` is kept; an authorization code never looks like one.
const ERROR_CODE = /^[A-Z][A-Z0-9_]{1,63}$/;

/** Flags (`refresh_token: true` in an audit detail) and nulls say nothing secret; everything else is censored. */
function censor(value: unknown, path: string[]): unknown {
  if (value === null || value === undefined || typeof value === 'boolean') return value;
  if (path[path.length - 1] === 'code' && typeof value === 'string' && ERROR_CODE.test(value)) return value;
  return REDACTED;
}

const B64U = '[A-Za-z0-9_-]';
const JSON_STRING = '"(?:[^"\\\\]|\\\\.)*"';
// Header names as Node gives them (lower case) or as a person writes them.
const capitalized = (k: string) => k.replace(/(^|-)([a-z])/g, (_, dash: string, c: string) => `${dash}[${c}${c.toUpperCase()}]`);
/**
 * One alternation, so a serialized line is scanned once (about a microsecond
 * for a request line). Group 1/2: a secret key with a string or an array of
 * strings as its value, at any depth. The rest: secret shapes anywhere.
 */
const SECRETS = new RegExp(
  [
    `"(${[...HEADER_KEYS.map(capitalized), ...FIELD_KEYS].join('|')})":(${JSON_STRING}|\\[(?:${JSON_STRING},?)*\\])`,
    // Contract "Tokens": tsr_ (refresh) and tsp_ (API) + 32 random + 6 checksum base62 characters.
    // Longer runs too: a token with characters glued on is still that token.
    'ts[pr]_[0-9A-Za-z]{38,}',
    // JWS / JWE compact serializations (RFC 7515 §7.1, RFC 7516 §7.1): a base64url JSON header (`{"` is `eyJ`), then 1-4 more segments.
    `eyJ${B64U}+(?:\\.${B64U}*){1,4}`,
    // Sealed values (src/core/crypto/seal.ts): v1 or v2, then .<12-byte IV>.<ciphertext>.<16-byte tag>.
    `v[12]\\.${B64U}{16}\\.${B64U}*\\.${B64U}{22}`,
    // A refresh successor's salt as kept for the grace window (core/tokens/refresh-successor.ts): v3.<16 bytes>.
    `v3\\.${B64U}{22}`,
  ].join('|'),
  'g',
);

function replacement(match: string, key: string | undefined, value: string | undefined): string {
  if (key === undefined) return REDACTED;
  if (key === 'code' && ERROR_CODE.test(value!.slice(1, -1))) return match;
  return `"${key}":"${REDACTED}"`;
}

/**
 * Censors a serialized log line (or any JSON text): string values of secret
 * keys at any depth, and every substring shaped like a Tessera secret.
 */
export function scrubSecrets(text: string): string {
  return text.replace(SECRETS, replacement);
}

/** `json`: one JSON object a line, for log collectors; `pretty`: for a person at a terminal. */
export type LogFormat = 'json' | 'pretty';

/** TESSERA_LOG_FORMAT=auto: readable at a terminal, JSON everywhere else (a pipe, a file, a container's log). */
export function resolveLogFormat(setting: LogFormat | 'auto', stdout: { isTTY?: boolean } = process.stdout): LogFormat {
  return setting === 'auto' ? (stdout.isTTY ? 'pretty' : 'json') : setting;
}

/**
 * Standard output, written asynchronously: a line is buffered and written by
 * the event loop when the previous write is done, so a request never waits
 * on a slow pipe or terminal, and lines logged together go out in one write.
 * pino flushes it synchronously when the process exits (process.exit, the
 * end of the event loop, a crash), so no line logged before is lost; a
 * graceful stop also waits for it (flushLogs).
 */
function asyncStdout(): DestinationStream {
  return pino.destination({ dest: 1, sync: false });
}

/** Resolves once every line logged so far has been written (before a planned exit). */
export function flushLogs(logger: Logger): Promise<void> {
  return new Promise((resolve) => {
    try {
      logger.flush(() => resolve());
    } catch {
      // A destination that cannot flush (a test's memory stream) has nothing pending.
      resolve();
    }
  });
}

/** The service's logger; `destination` defaults to stdout (tests pass a memory stream). */
export function createLogger(level: string, destination?: DestinationStream, format: LogFormat = 'json'): Logger {
  const options: LoggerOptions = {
    level,
    base: { service: 'tessera' },
    redact: { paths: REDACT_PATHS, censor },
    // pino's last step before the stream, on the whole serialized line.
    hooks: { streamWrite: scrubSecrets },
  };
  if (format === 'pretty') {
    // pino-pretty reads pino's own numeric levels and epoch times; it runs in-process and writes synchronously.
    const pretty = pinoPretty({
      destination: destination ?? 1, sync: true, colorize: destination ? false : pinoPretty.isColorSupported,
      translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname,service', singleLine: true,
    });
    return pino(options, pretty);
  }
  // Level names and ISO 8601 times, so a line reads the same to a person and to a log collector.
  const json: LoggerOptions = { ...options, formatters: { level: (label) => ({ level: label }) }, timestamp: pino.stdTimeFunctions.isoTime };
  return pino(json, destination ?? asyncStdout());
}
