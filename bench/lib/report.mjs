// Turns the runs into medians, target ratios and the printed table.
import { SCENARIOS } from './scenarios.mjs';

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** Median req/s, p50 and p99 over the rounds, and every failed request counted. */
export function summarize(results) {
  const out = {};
  for (const [scenario, byContender] of Object.entries(results)) {
    out[scenario] = {};
    for (const [id, runs] of Object.entries(byContender)) {
      const errors = runs.reduce((n, r) => n + r.non2xx + r.errors + r.timeouts + r.badBodies, 0);
      const codes = {};
      for (const r of runs) for (const [c, n] of Object.entries(r.statusCodes)) codes[c] = (codes[c] ?? 0) + n;
      out[scenario][id] = {
        rps: median(runs.map((r) => r.rps)), p50: median(runs.map((r) => r.p50)), p99: median(runs.map((r) => r.p99)),
        requests: runs.reduce((n, r) => n + r.total, 0), errors, statusCodes: codes, rounds: runs.map((r) => Math.round(r.rps)),
        p99Rounds: runs.map((r) => r.p99),
        cpuPerRequest: runs.every((r) => typeof r.cpuPerRequest === 'number') ? median(runs.map((r) => r.cpuPerRequest)) : null,
      };
    }
  }
  return out;
}

const ratio = (a, b) => (a && b ? a / b : null);

/**
 * A ratio of two contenders: the median of their per-round ratios. The two
 * ran back to back in each round, so a round's ratio cancels most of the
 * machine's drift, which on a shared machine moves whole rounds by a third.
 */
function paired(a, b, field = 'rps') {
  const [xs, ys] = field === 'rps' ? [a?.rounds, b?.rounds] : [a?.p99Rounds, b?.p99Rounds];
  if (!xs?.length || xs.length !== ys?.length) return ratio(a?.[field], b?.[field]);
  const rs = xs.map((x, i) => ratio(x, ys[i])).filter((r) => r !== null);
  return rs.length ? median(rs) : null;
}

/** The targets of issue 7, each with its measured ratio and whether it is met. */
export function targets(summary, memory, scale) {
  const s = (sc, id) => summary[sc]?.[id];
  const list = [];
  // A ratio over a contender with failed requests is not a measurement: never "met".
  const add = (name, value, goal, cmp = '>=', unit = '×', sides = []) => {
    if (value === null || value === undefined || Number.isNaN(value)) return;
    const failed = sides.some((r) => r?.errors > 0);
    list.push({ name, value, goal, unit, met: !failed && (cmp === '>=' ? value >= goal : value <= goal), cmp, failed });
  };
  const tcc = s('cc', 'tessera');
  const occ = s('cc', 'oidc-provider');
  const bcc = s('cc', 'express-baseline');
  const rt = s('refresh', 'tessera');
  const [vt, vj] = [s('verify', 'tessera/verifier'), s('verify', 'jose jwtVerify')];
  add('client_credentials req/s: Tessera / node-oidc-provider (aim 1.25×)', paired(tcc, occ), 1.0, '>=', '×', [tcc, occ]);
  add('client_credentials p99: Tessera / node-oidc-provider (no worse)', paired(tcc, occ, 'p99'), 1.0, '<=', '×', [tcc, occ]);
  add('client_credentials req/s: Tessera / bare Express baseline', paired(tcc, bcc), 0.6, '>=', '×', [tcc, bcc]);
  add('refresh rotation req/s / Tessera client_credentials req/s', paired(rt, tcc), 0.7, '>=', '×', [rt, tcc]);
  add('verifier (Redis revocation check) req/s / plain jose jwtVerify', paired(vt, vj), 0.6, '>=', '×', [vt, vj]);
  if (memory?.refresh) add('Redis bytes per live refresh token', memory.refresh.bytesPerToken, 400, '<=', ' B');
  for (const row of scale?.rows ?? []) {
    add(`with ${scale.n.toLocaleString('en')} refresh tokens + revoked ids: ${row.scenario} (${row.contender}) req/s full / empty`, row.ratio, 0.9, '>=', '×', [row.before, row.full, row.after]);
  }
  return list;
}

const fmt = (n, d = 0) => (n === null || n === undefined ? '-' : n.toFixed(d));

export function renderTable(summary) {
  const lines = [];
  lines.push('| scenario | contender | req/s | p50 ms | p99 ms | CPU µs/req | errors | req/s per round |');
  lines.push('| --- | --- | ---: | ---: | ---: | ---: | ---: | --- |');
  for (const [scenario, byContender] of Object.entries(summary)) {
    for (const [id, r] of Object.entries(byContender)) {
      const errs = r.errors ? `**${r.errors} FAILED** ${JSON.stringify(r.statusCodes)}` : '0';
      lines.push(`| ${SCENARIOS[scenario]?.title ?? scenario} | ${id} | ${fmt(r.rps)} | ${fmt(r.p50)} | ${fmt(r.p99)} | ${fmt(r.cpuPerRequest)} | ${errs} | ${r.rounds.join(', ')} |`);
    }
  }
  return lines.join('\n');
}

export function renderTargets(list) {
  return list.map((t) => {
    const v = t.unit === '×' ? `${t.value.toFixed(2)}×` : `${Math.round(t.value)}${t.unit}`;
    const g = t.unit === '×' ? `${t.goal}×` : `${t.goal}${t.unit}`;
    return `- ${t.met ? 'MET    ' : 'NOT MET'} ${t.name}: ${v} (target ${t.cmp} ${g})${t.failed ? ' — FAILED REQUESTS, not comparable' : ''}`;
  }).join('\n');
}

export function renderMemory(memory) {
  if (!memory) return '';
  const lines = [];
  for (const [kind, m] of Object.entries(memory)) {
    if (!m?.bytesPerToken) continue;
    lines.push(`- ${m.label}: **${Math.round(m.bytesPerToken)} bytes** per token (INFO used_memory delta over ${m.n.toLocaleString('en')}); ` +
      `MEMORY USAGE of its keys: ${Math.round(m.memoryUsagePerToken)} bytes (${Object.entries(m.breakdown).map(([k, v]) => `${k} ${Math.round(v)}`).join(', ')})${m.note ? `; ${m.note}` : ''}`);
    if (kind === 'refresh' && m.consumedRecordBytes) lines.push(`- each rotation leaves the consumed token record until the family ends (reuse detection): ${Math.round(m.consumedRecordBytes)} bytes (MEMORY USAGE)`);
  }
  return lines.join('\n');
}

export function renderMachine(m) {
  return `${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, ${m.os}; Node ${m.node}; Redis ${m.redis}; ${m.date}; load average at start ${m.loadStart}, at end ${m.loadEnd ?? '-'}`;
}

/** Ratios no target names, for reading the table. */
export function otherRatios(summary) {
  const r = (a, b) => {
    const v = paired(a, b);
    return v === null ? null : `${v.toFixed(2)}×`;
  };
  const s = summary;
  const lines = [
    ['JWKS GET req/s: Tessera / node-oidc-provider', r(s.jwks?.tessera, s.jwks?.['oidc-provider'])],
    ['JWKS GET req/s: Tessera / bare Express baseline', r(s.jwks?.tessera, s.jwks?.['express-baseline'])],
    ['client_credentials req/s: node-oidc-provider / bare Express baseline', r(s.cc?.['oidc-provider'], s.cc?.['express-baseline'])],
    ['token exchange req/s / Tessera client_credentials req/s', r(s.exchange?.tessera, s.cc?.tessera)],
    ['introspection req/s / Tessera client_credentials req/s', r(s.introspect?.tessera, s.cc?.tessera)],
  ].filter(([, v]) => v);
  return lines.map(([k, v]) => `- ${k}: ${v}`).join('\n');
}
