// CPU time of a server process and its descendants (the workers of
// TESSERA_WORKERS), read from /proc/<pid>/stat (utime + stime, every thread
// included: libuv's pool, GC helpers), so that the server reports nothing
// itself. Read before and after each run: the server idles in between, so
// the difference is what the run's requests cost. Linux only; elsewhere null.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';

let ticksPerSecond;
function clockTicks() {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/** [ppid, utime + stime] of one process, or null once it is gone. */
function stat(pid) {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces: count fields after the last ')'.
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    // Fields 4 (ppid), 14 (utime) and 15 (stime) of proc(5), counted from field 3 here.
    return [Number(fields[1]), Number(fields[11]) + Number(fields[12])];
  } catch {
    return null;
  }
}

/** The pid and every descendant of it that runs now. */
function tree(root) {
  const children = new Map();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const s = stat(name);
    if (!s) continue;
    const list = children.get(s[0]) ?? [];
    list.push(Number(name));
    children.set(s[0], list);
  }
  const out = [root];
  for (let i = 0; i < out.length; i++) out.push(...(children.get(out[i]) ?? []));
  return out;
}

export const cpuMeasurable = existsSync('/proc/self/stat');

/**
 * CPU microseconds used so far by `pid` and its descendants, per process
 * ({pid: µs}), so that a difference counts only processes alive at both
 * reads (a worker replaced in between would otherwise count negative).
 */
export function cpuTimes(pid) {
  if (!cpuMeasurable || !pid) return null;
  const out = {};
  for (const p of tree(pid)) {
    const s = stat(p);
    if (s) out[p] = (s[1] * 1e6) / clockTicks();
  }
  return out;
}

/** µs of CPU between two cpuTimes readings (processes present at both). */
export function cpuBetween(before, after) {
  if (!before || !after) return null;
  let us = 0;
  for (const [pid, t] of Object.entries(after)) if (before[pid] !== undefined) us += t - before[pid];
  return us;
}

/** ns the main thread of `pid` and of each descendant has waited so far on a run queue, runnable but not running ({pid: ns}; /proc/<pid>/schedstat, field 2). */
export function runQueueWaits(pid) {
  if (!cpuMeasurable || !pid) return null;
  const out = {};
  for (const p of tree(pid)) {
    try {
      out[p] = Number(readFileSync(`/proc/${p}/schedstat`, 'utf8').split(' ')[1]);
    } catch {
      // gone, or a kernel without schedstats
    }
  }
  return out;
}
