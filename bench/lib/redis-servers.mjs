// redis-servers of the bench's own on loopback ports (the WAIT phase's
// primary and replica, the scale phase's two stores): no RDB snapshots and
// no AOF, as the machine's Redis the other phases use is configured
// (`--save ""`), so that no fork or disk write lands in a round.
import { spawn } from 'node:child_process';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Starts `redis-server` on 127.0.0.1:`port` with `dir` as its working directory; `extra` adds arguments. */
export function redisServer(port, dir, extra = []) {
  const child = spawn('redis-server', [
    '--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', ...extra,
  ], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => { out = (out + d).slice(-5000); });
  child.stderr.on('data', (d) => { out = (out + d).slice(-5000); });
  const exited = new Promise((r) => child.on('exit', r));
  return {
    child, pid: child.pid, output: () => out,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(t);
    },
  };
}

/** Resolves once `probe` answers truthy (errors count as not yet); rejects after `ms`. */
export async function until(what, probe, ms = 20_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    try { if (await probe()) return; } catch { /* not up yet */ }
    if (Date.now() > deadline) throw new Error(`${what} not within ${ms} ms`);
    await sleep(100);
  }
}
