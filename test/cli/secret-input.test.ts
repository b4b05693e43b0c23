/** Secrets come through standard input: piped, or typed at a prompt that does not echo. */
import { PassThrough, Readable } from 'node:stream';
import { UsageError } from '../../src/cli/cli-errors.js';
import { obtainSecret, promptHidden, readPipedSecret, type SecretInput } from '../../src/cli/secret-input.js';

/** A terminal as far as the prompt can tell: isTTY, and raw mode it records. */
function fakeTty(): { input: SecretInput & PassThrough; modes: boolean[] } {
  const modes: boolean[] = [];
  const input = Object.assign(new PassThrough(), { isTTY: true, setRawMode: (m: boolean) => { modes.push(m); } });
  return { input, modes };
}

test('a piped secret loses the one newline echo adds, and nothing else', async () => {
  expect(await readPipedSecret(Readable.from(['s3cret\n']), 'password')).toBe('s3cret');
  expect(await readPipedSecret(Readable.from(['s3cret\r\n']), 'password')).toBe('s3cret');
  expect(await readPipedSecret(Readable.from([' two words \n\n']), 'password')).toBe(' two words \n');
  // A character split across two chunks is decoded whole.
  const euro = Buffer.from('€uro');
  expect(await readPipedSecret(Readable.from([euro.subarray(0, 1), euro.subarray(1)]), 'password')).toBe('€uro');
});

test('an empty or oversized pipe is bad usage', async () => {
  await expect(readPipedSecret(Readable.from(['']), 'client secret')).rejects.toThrow('no client secret on standard input');
  await expect(readPipedSecret(Readable.from(['\n']), 'client secret')).rejects.toThrow(UsageError);
  await expect(readPipedSecret(Readable.from(['x'.repeat(5000)]), 'password')).rejects.toThrow(/longer than 4096/);
});

test('the prompt does not echo, honours backspace and Ctrl-U, and restores the terminal', async () => {
  const { input, modes } = fakeTty();
  let written = '';
  const answer = promptHidden(input, (t) => { written += t; }, 'Password: ');
  input.write('wrong');
  input.write('\u0015'); // Ctrl-U: start again
  input.write('pass\u007fss-word\b\bd\r');
  expect(await answer).toBe('passs-wod');
  expect(written).toBe('Password: \n');
  expect(modes).toEqual([true, false]);
});

test('Ctrl-C at the prompt cancels (bad usage), as does Ctrl-D on an empty line', async () => {
  for (const keys of ['abc\u0003', '\u0004']) {
    const { input, modes } = fakeTty();
    const answer = promptHidden(input, () => undefined, 'Secret: ');
    input.write(keys);
    await expect(answer).rejects.toThrow(new UsageError('cancelled'));
    expect(modes).toEqual([true, false]);
  }
});

test('obtainSecret: the pipe when asked for, else the fallback, else the prompt; with confirm, twice', async () => {
  expect(await obtainSecret(Readable.from(['piped\n']), () => undefined, { piped: true, fallback: 'env', what: 'client secret', flag: '--x' })).toBe('piped');
  expect(await obtainSecret(Readable.from(['']), () => undefined, { piped: false, fallback: 'env', what: 'client secret', flag: '--x' })).toBe('env');

  const { input } = fakeTty();
  let written = '';
  const answer = obtainSecret(input, (t) => { written += t; }, { piped: false, what: 'password', flag: '--password-stdin', confirm: true });
  input.write('hunter22\r');
  await new Promise((r) => setImmediate(r));
  input.write('hunter22\r');
  expect(await answer).toBe('hunter22');
  expect(written).toBe('Password: \nRepeat the password: \n');

  const differ = fakeTty();
  const mismatch = obtainSecret(differ.input, () => undefined, { piped: false, what: 'password', flag: '--password-stdin', confirm: true });
  differ.input.write('hunter22\r');
  await new Promise((r) => setImmediate(r));
  differ.input.write('hunter23\r');
  await expect(mismatch).rejects.toThrow('the two passwords differ');
});

test('with no pipe, no fallback and no terminal it says how to give the secret', async () => {
  const notTty = Readable.from(['ignored']);
  await expect(obtainSecret(notTty, () => undefined, { piped: false, what: 'password', flag: '--password-stdin' }))
    .rejects.toThrow('no password: pipe it in with --password-stdin, or run this in a terminal to be asked for it');
});

test('asked to read standard input when it is a terminal, it prompts without echo instead', async () => {
  const { input, modes } = fakeTty();
  let written = '';
  const answer = obtainSecret(input, (t) => { written += t; }, { piped: true, fallback: 'env', what: 'client secret', flag: '--client-secret-stdin' });
  input.write('typed\r');
  expect(await answer).toBe('typed');
  expect(written).toBe('Client secret: \n');
  expect(modes).toEqual([true, false]);
});
