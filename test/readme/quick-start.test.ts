/**
 * The README's quick start, run as written: its ```sh blocks, in order, in
 * one bash, from the checkout, with `set -e -o pipefail` so that the first
 * failing step fails the test. The one step a person does in a browser (sign
 * in, copy the address it lands on) is done here through the login form;
 * its answer goes to the walk's prompt on standard input. Only PORT (a free
 * one; the walk reads it) and TESSERA_KEYS_DIR are set from outside.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ensureBuilt } from '../support/build.js';
import { loginThroughForm } from '../support/login-form.js';
import { freePort } from '../support/redis-server.js';

/** The ```sh blocks of the README section headed `heading`. */
export function shellBlocks(readme: string, heading: string): string[] {
  const start = readme.indexOf(`\n## ${heading}\n`);
  if (start < 0) throw new Error(`no section ${heading}`);
  const end = readme.indexOf('\n## ', start + 1);
  const section = readme.slice(start, end < 0 ? undefined : end);
  return [...section.matchAll(/\n```sh\n([\s\S]*?)\n```\n/g)].map((m) => m[1]!);
}

let dir: string;
beforeAll(async () => {
  await ensureBuilt('dist/main.js', 'dist/cli/main.js');
  dir = await mkdtemp(path.join(os.tmpdir(), 'tessera-quick-start-'));
});
afterAll(async () => { await rm(dir, { recursive: true, force: true }); });

test('the README quick start works when pasted', async () => {
  const blocks = shellBlocks(await readFile('README.md', 'utf8'), 'Quick start');
  expect(blocks.length).toBeGreaterThanOrEqual(8);
  // Nothing to edit: no placeholder left for a person to replace.
  for (const block of blocks) {
    // What is left once comments, variables ($X, ${X}) and assignments (X=) are taken out.
    const literal = block.replace(/(^|\s)#.*$/gm, '').replace(/\$\{?[A-Za-z_]\w*\}?|\b[A-Z_]+=/g, '');
    expect(literal).not.toMatch(/\.\.\.|\b(CLIENT_SECRET|SECRET|CODE|VERIFIER|TOKEN|PASSWORD)\b/);
  }

  const port = await freePort();
  const bash = spawn('bash', ['-c', `set -e -o pipefail\n${blocks.join('\n')}\n`], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? dir, PORT: String(port), TESSERA_KEYS_DIR: path.join(dir, 'keys') },
    stdio: ['pipe', 'pipe', 'pipe'],
    // Its own process group: the server it starts in the background goes with it if a step fails.
    detached: true,
  });
  let stdout = '';
  let stderr = '';
  let signedIn = false;
  bash.stderr.on('data', (d) => (stderr += d));
  bash.stdout.on('data', (d) => {
    stdout += d;
    const password = /^alice's password: (\S+)$/m.exec(stdout)?.[1];
    const open = /^open: (\S+)$/m.exec(stdout)?.[1];
    if (password && open && !signedIn && stdout.includes('the address the browser landed on: ')) {
      signedIn = true;
      // The person's part: sign in at the page, then paste where the browser landed.
      void loginThroughForm(open, 'alice', password).then(
        (landed) => bash.stdin.end(`${landed.href}\n`),
        (err: unknown) => { stderr += `\nsign-in failed: ${String(err)}`; bash.stdin.end('\n'); },
      );
    }
  });
  const code = await new Promise<number | null>((resolve) => {
    const timer = setTimeout(() => { try { process.kill(-bash.pid!, 'SIGKILL'); } catch { /* gone */ } }, 150_000);
    bash.on('close', (c) => { clearTimeout(timer); resolve(c); });
  });
  try { process.kill(-bash.pid!, 'SIGTERM'); } catch { /* every process of the walk has ended */ }

  expect({ code, stderr: stderr.split('\n').filter((l) => l && !l.startsWith('npm warn')) }).toEqual({ code: 0, stderr: [] });
  expect(signedIn).toBe(true);
  expect(stdout).toMatch(/^\{"status":"ready","store":"memory","checks":\{"store":"ok","keys":"ok"\}\}$/m);
  expect(stdout).toMatch(/^\{"active":true,"client_id":"billing-service",.*"scope":"orders:read"\}$/m);
  expect(stdout).toMatch(/^\{"active":false\}$/m);
  // After the prompt: at a terminal the pasted address and Enter end that line; here nothing echoes them.
  expect(stdout).toMatch(/^the address the browser landed on: orders:read offline_access$/m);
  expect(stdout).toMatch(/^urn:ietf:params:oauth:token-type:access_token$/m);
  expect(stdout).toMatch(/^username: +alice$/m);
}, 180_000);
