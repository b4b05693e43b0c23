/**
 * The service's log destination (stdout) is written asynchronously: a
 * reader that is slow to drain the pipe does not stall the process, and
 * every line logged before an exit is still written out.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const LOGGER = pathToFileURL(path.resolve('dist/logger.js')).href;
const LINES = 20_000;

/** A child that logs LINES lines (about 2.5 MB, far more than a pipe holds), says so on stderr, then exits at once. */
const CHILD = `
import { createLogger } from ${JSON.stringify(LOGGER)};
const logger = createLogger('info');
const pad = 'x'.repeat(60);
for (let i = 0; i < ${LINES}; i++) logger.info({ i, pad }, 'line');
process.stderr.write('logged\\n');
process.exit(0);
`;

test('logging to a pipe nobody reads yet does not block; every line is there once the reader drains it, exit included', async () => {
  const child = spawn(process.execPath, ['--input-type=module', '-e', CHILD], { stdio: ['ignore', 'pipe', 'pipe'] });
  const chunks: Buffer[] = [];
  // Not read until the child has said it finished logging: with a blocking destination it never would.
  child.stdout.pause();
  let stderr = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the child did not finish logging while its stdout was unread (stderr: ${stderr})`));
    }, 20_000);
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (stderr.includes('logged')) { clearTimeout(timer); resolve(); }
    });
  });
  child.stdout.on('data', (d: Buffer) => chunks.push(d));
  child.stdout.resume();
  const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
  expect(code).toBe(0);
  const lines = Buffer.concat(chunks).toString('utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { i: number; msg: string });
  expect(lines).toHaveLength(LINES);
  expect(lines.every((l, n) => l.i === n && l.msg === 'line')).toBe(true);
}, 60_000);
