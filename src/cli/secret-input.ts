/**
 * Secrets (a client secret, a password) reach the CLI through standard
 * input, never as an argument: arguments end up in shell history and in
 * every other user's `ps`. Either piped (`--client-secret-stdin`,
 * `--password-stdin`) or typed at a prompt that does not echo.
 */
import { UsageError } from './cli-errors.js';

/** Standard input as far as secrets need it; a TTY has setRawMode. */
export type SecretInput = NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?: (mode: boolean) => unknown };

/** More than any secret the server accepts; a bigger input is a mistake (a file piped in by accident). */
const MAX_CHARS = 4096;

/** Everything piped in, without the one trailing newline `echo` or a file adds. */
export async function readPipedSecret(input: SecretInput, what: string): Promise<string> {
  // Bytes first, decoded once: a character split across two chunks must not be mangled.
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of input) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk as Uint8Array);
    chunks.push(bytes);
    size += bytes.length;
    if (size > MAX_CHARS * 4) throw new UsageError(`the ${what} read from standard input is longer than ${MAX_CHARS} characters`);
  }
  const value = Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
  if (value.length > MAX_CHARS) throw new UsageError(`the ${what} read from standard input is longer than ${MAX_CHARS} characters`);
  if (value === '') throw new UsageError(`no ${what} on standard input`);
  return value;
}

/** Whether a prompt can be shown: standard input is a terminal. */
export const canPrompt = (input: SecretInput): boolean => input.isTTY === true && typeof input.setRawMode === 'function';

/**
 * Asks on the terminal without echoing what is typed. Backspace and Ctrl-U
 * edit; Ctrl-C or Ctrl-D on an empty line cancel (bad usage: nothing done).
 */
export function promptHidden(input: SecretInput, write: (text: string) => void, question: string): Promise<string> {
  if (!canPrompt(input)) return Promise.reject(new UsageError('cannot prompt: standard input is not a terminal'));
  write(question);
  return new Promise((resolve, reject) => {
    let value = '';
    const finish = (error?: Error) => {
      input.removeListener('data', onData);
      input.setRawMode!(false);
      input.pause();
      write('\n');
      if (error) reject(error);
      else resolve(value);
    };
    const onData = (chunk: string | Buffer) => {
      // A paste arrives as one chunk: take it character by character.
      for (const c of String(chunk)) {
        if (c === '\r' || c === '\n') return finish();
        if (c === '\u0003' || (c === '\u0004' && value === '')) return finish(new UsageError('cancelled'));
        if (c === '\u0004') return finish();
        if (c === '\u007f' || c === '\b') value = value.slice(0, -1);
        else if (c === '\u0015') value = '';
        else if (c >= ' ') value += c;
        if (value.length > MAX_CHARS) return finish(new UsageError(`longer than ${MAX_CHARS} characters`));
      }
    };
    input.setRawMode!(true);
    input.setEncoding('utf8');
    input.on('data', onData);
    input.resume();
  });
}

/** A secret from the pipe when `piped` (a prompt when that is a terminal), else from `fallback` (an environment variable), else from a prompt. */
export async function obtainSecret(
  input: SecretInput,
  write: (text: string) => void,
  o: { piped: boolean; fallback?: string | undefined; what: string; flag: string; confirm?: boolean },
): Promise<string> {
  // Asked to read standard input but it is a terminal: ask without echo rather than show what is typed.
  if (o.piped && !canPrompt(input)) return readPipedSecret(input, o.what);
  if (!o.piped && o.fallback) return o.fallback;
  if (!canPrompt(input)) throw new UsageError(`no ${o.what}: pipe it in with ${o.flag}, or run this in a terminal to be asked for it`);
  const value = await promptHidden(input, write, `${o.what[0]!.toUpperCase()}${o.what.slice(1)}: `);
  if (value === '') throw new UsageError(`no ${o.what} given`);
  if (o.confirm && (await promptHidden(input, write, `Repeat the ${o.what}: `)) !== value) throw new UsageError(`the two ${o.what}s differ`);
  return value;
}
