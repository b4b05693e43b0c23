// Child processes of the benchmark: every server is its own `node` process,
// started here and stopped by its own pid (SIGTERM, then SIGKILL).
import { spawn } from 'node:child_process';
import net from 'node:net';

/** A free TCP port on 127.0.0.1 (for servers whose URL must be known before they start). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Starts `node [nodeArgs] script` and resolves once it is ready: when its
 * stdout says `listening on <port>`, or when `readyUrl` answers 200.
 */
export function startProcess({ name, script, nodeArgs = [], env, readyUrl, timeoutMs = 30_000 }) {
  const child = spawn(process.execPath, [...nodeArgs, script], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d) => { out = (out + d).slice(-20_000); });
  child.stderr.on('data', (d) => { out = (out + d).slice(-20_000); });
  const exited = new Promise((r) => child.on('exit', (code, signal) => r(code ?? signal)));
  const proc = {
    name, child, pid: child.pid, port: null, url: null,
    output: () => out,
    async stop(graceMs = 15_000) {
      if (child.exitCode !== null || child.signalCode !== null) return exited;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
  return new Promise((resolve, reject) => {
    let done = false;
    const fail = (why) => {
      if (done) return;
      done = true;
      child.kill('SIGKILL');
      reject(new Error(`${name} did not start (${why}):\n${out}`));
    };
    const timer = setTimeout(() => fail(`not ready within ${timeoutMs} ms`), timeoutMs);
    const ok = (port) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      proc.port = port;
      proc.url = `http://127.0.0.1:${port}`;
      resolve(proc);
    };
    child.on('exit', (code) => fail(`exited with ${code}`));
    if (readyUrl) {
      (async () => {
        while (!done) {
          try {
            const res = await fetch(readyUrl);
            if (res.status === 200) return ok(Number(new URL(readyUrl).port));
          } catch { /* not listening yet */ }
          await sleep(100);
        }
      })();
    } else {
      child.stdout.on('data', () => {
        const m = /listening on (\d+)/.exec(out);
        if (m) ok(Number(m[1]));
      });
    }
  });
}

/** Runs `node script args` to completion; resolves with its stdout (rejects on a non-zero exit). */
export function runNode(script, args = [], { env = process.env, timeoutMs = 600_000 } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(stdout);
      else reject(new Error(`${script} exited with ${code}: ${stderr || stdout}`));
    });
  });
}
