// Prints where a V8 CPU profile (.cpuprofile, from node --cpu-prof) spent its
// time: the top functions by self time, aggregated by function and file, and
// the same time grouped by package or area.
//   node bench/profile-top.mjs FILE.cpuprofile [N=25] [SKIP_MS=0]
// SKIP_MS leaves out the first milliseconds of the profile (the start-up).
// Each function also names its heaviest caller, to tell who does the work.
import { readFileSync } from 'node:fs';
import path from 'node:path';

export function topOfProfile(file, n = 25, skipMs = 0) {
  const profile = JSON.parse(readFileSync(file, 'utf8'));
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map();
  for (const node of profile.nodes) for (const c of node.children ?? []) parent.set(c, node.id);
  const self = new Map();
  // timeDeltas[i + 1] is the time from sample i to the next one: sample i's share.
  let at = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    at += profile.timeDeltas[i] ?? 0;
    if (at < skipMs * 1000) continue;
    const dt = profile.timeDeltas[i + 1] ?? 0;
    self.set(profile.samples[i], (self.get(profile.samples[i]) ?? 0) + dt);
  }
  const callers = new Map();
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const fns = new Map();
  const areas = new Map();
  for (const [id, us] of self) {
    const { functionName, url, lineNumber } = byId.get(id).callFrame;
    const where = shortUrl(url);
    const key = `${functionName || '(anonymous)'}\t${where}${url ? `:${lineNumber + 1}` : ''}`;
    fns.set(key, (fns.get(key) ?? 0) + us);
    const caller = callerOf(byId, parent, id);
    if (caller) {
      const m = callers.get(key) ?? new Map();
      m.set(caller, (m.get(caller) ?? 0) + us);
      callers.set(key, m);
    }
    const area = areaOf(functionName, url);
    areas.set(area, (areas.get(area) ?? 0) + us);
  }
  const rank = (m) => [...m].sort((a, b) => b[1] - a[1]);
  return {
    totalMs: total / 1000,
    functions: rank(fns).slice(0, n).map(([k, us]) => {
      const [fn, loc] = k.split('\t');
      return { fn, loc, ms: us / 1000, pct: (100 * us) / total, caller: callers.has(k) ? rank(callers.get(k))[0][0] : '' };
    }),
    areas: rank(areas).slice(0, 15).map(([area, us]) => ({ area, ms: us / 1000, pct: (100 * us) / total })),
  };
}

/** The nearest caller with a source location (skipping anonymous wrappers of node core). */
function callerOf(byId, parent, id) {
  let cur = parent.get(id);
  for (let hops = 0; cur !== undefined && hops < 8; hops++) {
    const { functionName, url, lineNumber } = byId.get(cur).callFrame;
    if (url && !url.startsWith('node:')) return `${functionName || '(anonymous)'} ${shortUrl(url)}:${lineNumber + 1}`;
    cur = parent.get(cur);
  }
  return '';
}

function shortUrl(url) {
  if (!url) return '';
  const p = url.replace(/^file:\/\//, '');
  const nm = p.lastIndexOf('node_modules/');
  if (nm >= 0) return p.slice(nm + 'node_modules/'.length);
  const d = p.indexOf('/dist/');
  if (d >= 0) return p.slice(d + 1);
  return p.startsWith('node:') ? p : path.basename(p);
}

function areaOf(fn, url) {
  if (!url) return fn.startsWith('(') ? fn : '(native / V8 builtins)';
  const p = url.replace(/^file:\/\//, '');
  const nm = p.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = p.slice(nm + 'node_modules/'.length).split('/');
    return `npm: ${rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]}`;
  }
  const d = p.indexOf('/dist/');
  if (d >= 0) return `tessera: ${p.slice(d + 6).split('/').slice(0, -1).join('/') || '.'}`;
  if (p.startsWith('node:')) return 'node core (JS)';
  return p;
}

export function renderTop(top, title) {
  const lines = [`${title}: ${top.totalMs.toFixed(0)} ms sampled`, '', '| self ms | % | function | where | heaviest caller |', '| ---: | ---: | --- | --- | --- |'];
  for (const f of top.functions) lines.push(`| ${f.ms.toFixed(0)} | ${f.pct.toFixed(1)} | ${f.fn.replace(/\|/g, '\\|')} | ${f.loc} | ${f.caller} |`);
  lines.push('', '| by area | ms | % |', '| --- | ---: | ---: |');
  for (const a of top.areas) lines.push(`| ${a.area} | ${a.ms.toFixed(0)} | ${a.pct.toFixed(1)} |`);
  return lines.join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const file = process.argv[2];
  if (!file) {
    process.stderr.write('usage: node bench/profile-top.mjs FILE.cpuprofile [N]\n');
    process.exit(2);
  }
  process.stdout.write(`${renderTop(topOfProfile(file, Number(process.argv[3] ?? 25), Number(process.argv[4] ?? 0)), path.basename(file))}\n`);
}
