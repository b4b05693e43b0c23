/**
 * Runs the real server (`node dist/main.js`, as `npm start` does after its
 * build) as a child process, for tests of start-up, restart and shutdown;
 * runToExit also runs node with other arguments (a test's own child).
 * `npm test` builds first (pretest).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

export const MAIN = path.resolve('dist/main.js');

/**
 * What every test server gets unless a test says otherwise: the cheapest
 * password hash the server accepts (the bootstrap admin's chosen secret is
 * checked at every admin token request; the default cost has its own tests).
 */
const TEST_DEFAULTS = { TESSERA_PASSWORD_HASH_COST: '10' };

export interface RunningServer {
  child: ChildProcess;
  port: number;
  url: string;
  stdout: () => string;
  stderr: () => string;
  /** SIGTERM and wait for the exit code. */
  stop(): Promise<number | null>;
}

/**
 * Runs node with `args` (default: dist/main.js) to its end: its exit code
 * and all it printed. Resolved on 'close', not 'exit': 'exit' may come
 * while the child's output is still in its pipes (Node's child_process
 * docs), and the tests assert on its last lines.
 */
export function runToExit(env: Record<string, string>, timeoutMs = 15_000, args: string[] = [MAIN]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { env: { PATH: process.env.PATH ?? '', ...TEST_DEFAULTS, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`did not exit within ${timeoutMs} ms: ${stdout}${stderr}`)); }, timeoutMs);
    child.on('close', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }); });
  });
}

/** The JSON log line that says the server listens, and on which port. */
const LISTENING = /"port":(\d+)[^\n]*tessera listening/;

/**
 * Starts the server and resolves once it listens. `ready` finds the port in
 * what it printed (another pattern for pretty logs); `args` is what node
 * runs (default: dist/main.js; e.g. the bin with `serve`).
 */
export function startServer(env: Record<string, string>, timeoutMs = 15_000, ready: RegExp = LISTENING, args: string[] = [MAIN]): Promise<RunningServer> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      env: { PATH: process.env.PATH ?? '', PORT: '0', ...TEST_DEFAULTS, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`server did not start: ${stdout}${stderr}`)); }, timeoutMs);
    child.stderr.on('data', (d) => (stderr += d));
    child.stdout.on('data', (d) => {
      stdout += d;
      const m = ready.exec(stdout);
      if (m) {
        clearTimeout(timer);
        const port = Number(m[1]);
        resolve({
          child, port, url: `http://127.0.0.1:${port}`,
          stdout: () => stdout, stderr: () => stderr,
          async stop() {
            if (child.exitCode === null) child.kill('SIGTERM');
            return exited;
          },
        });
      }
    });
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`server exited with ${code}: ${stdout}${stderr}`)); });
  });
}

/** The secret the first start printed for tessera-admin. */
export function printedAdminSecret(stdout: string): string | null {
  return /client_secret: (\S+)/.exec(stdout)?.[1] ?? null;
}
