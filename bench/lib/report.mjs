// Turns the runs into medians, target ratios and the printed table.
import { LEAN_CC, SCENARIOS } from './scenarios.mjs';

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
        generatorCpuPerRequest: runs.every((r) => typeof r.generatorCpuPerRequest === 'number') ? median(runs.map((r) => r.generatorCpuPerRequest)) : null,
        redisCpuPerRequest: runs.every((r) => typeof r.redisCpuPerRequest === 'number') ? median(runs.map((r) => r.redisCpuPerRequest)) : null,
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

/**
 * The performance targets, every row always printed: the measured value
 * against its bar and its goal, MET / NOT MET, or NOT MEASURED when this run
 * skipped what it needs (--only, --no-...). A value over a contender with
 * failed requests is not a measurement: never MET.
 */
export function issueTargets({ summary, fixed, memory, scale, options }) {
  const s = (sc, id) => summary?.[sc]?.[id];
  const tcc = s('cc', 'tessera');
  const occ = s('cc', 'oidc-provider');
  const [tj, oj] = [s('jwks', 'tessera'), s('jwks', 'oidc-provider')];
  const rt = s('refresh', 'tessera');
  // The rotation against the issuance through the same load client (bench/lean-runner.mjs), and against the one under autocannon.
  const lcc = s('cc', LEAN_CC);
  const rtVsAutocannon = paired(rt, tcc);
  const ij = s('introspect-jwt', 'tessera');
  const [ft, fo] = [fixed?.summary?.tessera, fixed?.summary?.['oidc-provider']];
  const worstScale = (scale?.rows ?? []).reduce((w, r) => (w === null || r.ratio < w.ratio ? r : w), null);
  const n = scale?.n ?? 1_000_000;
  const cpu = (r) => (typeof r?.cpuPerRequest === 'number' ? `${Math.round(r.cpuPerRequest)} µs` : '-');
  const rows = [
    { name: 'client_credentials req/s vs node-oidc-provider', today: '0.60×', value: paired(tcc, occ), bar: 1.0, goal: 1.25, cmp: '>=', unit: '×',
      sides: [tcc, occ], detail: tcc && occ ? `${Math.round(tcc.rps)} vs ${Math.round(occ.rps)} req/s` : '' },
    { name: `its p99 at c=${options.connections} vs the peer's`, today: '1.3–1.6×', value: paired(tcc, occ, 'p99'), bar: 1.0, goal: 0.8, cmp: '<=', unit: '×',
      sides: [tcc, occ], detail: tcc && occ ? `${tcc.p99} vs ${occ.p99} ms` : '' },
    { name: `p99 at a fixed ${(fixed?.rate ?? options.rate).toLocaleString('en')} req/s`, today: '—', value: ft?.p99, bar: 10, goal: 5, cmp: '<=', unit: ' ms',
      sides: [ft], detail: fo ? `node-oidc-provider ${fo.p99?.toFixed(2)} ms; p99.9 ${ft?.p999?.toFixed(2)} vs ${fo.p999?.toFixed(2)} ms` : '' },
    { name: 'CPU per client_credentials request', today: '~550 µs', value: tcc?.cpuPerRequest, bar: 350, goal: 250, cmp: '<=', unit: ' µs',
      sides: [tcc], detail: occ ? `node-oidc-provider ${cpu(occ)}` : '' },
    { name: 'JWKS req/s vs node-oidc-provider', today: '0.43×', value: paired(tj, oj), bar: 1.0, goal: 1.2, cmp: '>=', unit: '×',
      sides: [tj, oj], detail: tj && oj ? `${Math.round(tj.rps)} vs ${Math.round(oj.rps)} req/s` : '' },
    { name: 'refresh rotation vs own client_credentials', today: '~0.6×', value: paired(rt, lcc), bar: 0.8, goal: 0.9, cmp: '>=', unit: '×',
      sides: [rt, lcc], detail: rt && lcc ? `${Math.round(rt.rps)} vs ${Math.round(lcc.rps)} req/s, both through bench/lean-runner.mjs` +
        `${rtVsAutocannon === null ? '' : `; against the issuance under autocannon ${rtVsAutocannon.toFixed(2)}×`}` : '' },
    { name: 'JWT introspection vs own client_credentials', today: '1.05×', value: paired(ij, tcc), bar: 1.5, goal: 2, cmp: '>=', unit: '×',
      sides: [ij, tcc], detail: ij && tcc ? `${Math.round(ij.rps)} vs ${Math.round(tcc.rps)} req/s` : '' },
    { name: 'Redis per live refresh token', today: '741 B', value: memory?.refresh?.bytesPerToken, bar: 400, goal: 300, cmp: '<=', unit: ' B',
      sides: [], detail: memory?.refresh ? `over ${memory.refresh.n.toLocaleString('en')} tokens` : '' },
    { name: `${n.toLocaleString('en')} tokens + ${n.toLocaleString('en')} revoked ids vs empty`, today: '≥ 0.9×', value: worstScale?.ratio, bar: 0.9, goal: 0.95, cmp: '>=', unit: '×',
      sides: worstScale ? [worstScale.empty, worstScale.full] : [],
      detail: worstScale ? `the lowest of ${scale.rows.length} medians: ${worstScale.scenario} (${worstScale.contender}), its ${worstScale.ratios.length} pair(s) ${worstScale.low.toFixed(2)}-${worstScale.high.toFixed(2)}×, side by side` +
        `${n < 1_000_000 ? '; fewer than the 1M of the target' : ''}` : '' },
  ];
  return rows.map(({ sides, ...row }) => {
    const measured = row.value !== null && row.value !== undefined && !Number.isNaN(row.value);
    const failed = sides.some((r) => r?.errors > 0);
    const meets = (limit) => (row.cmp === '>=' ? row.value >= limit : row.value <= limit);
    return {
      ...row, value: measured ? row.value : null, failed,
      status: !measured ? 'NOT MEASURED' : !failed && meets(row.bar) ? 'MET' : 'NOT MET',
      goalStatus: !measured ? 'NOT MEASURED' : !failed && meets(row.goal) ? 'MET' : 'NOT MET',
    };
  });
}

const shown = (v, unit) => (v === null ? '-' : unit === '×' ? `${v.toFixed(2)}×` : unit === ' ms' ? `${v.toFixed(2)} ms` : `${Math.round(v)}${unit}`);
const limit = (cmp, v, unit) => `${cmp === '>=' ? '≥' : '≤'} ${unit === '×' ? `${Number.isInteger(v) ? v.toFixed(1) : v}×` : `${v}${unit}`}`;

export function renderIssueTargets(rows) {
  const lines = [
    '| scenario | today (before) | measured | bar | bar met | goal | goal met | detail |',
    '| --- | --- | ---: | --- | --- | --- | --- | --- |',
  ];
  for (const r of rows) {
    lines.push(`| ${r.name} | ${r.today} | ${shown(r.value, r.unit)} | ${limit(r.cmp, r.bar, r.unit)} | **${r.status}** | ${limit(r.cmp, r.goal, r.unit)} | ${r.goalStatus} | ` +
      `${r.detail}${r.failed ? '; FAILED REQUESTS, not comparable' : ''} |`);
  }
  const met = rows.filter((r) => r.status === 'MET').length;
  const goals = rows.filter((r) => r.goalStatus === 'MET').length;
  const missing = rows.filter((r) => r.status === 'NOT MEASURED').length;
  lines.push('', `Bars met: ${met} of ${rows.length}; goals met: ${goals} of ${rows.length}${missing ? `; not measured in this run: ${missing}` : ''}.`);
  return lines.join('\n');
}

/** Earlier targets that the table above does not cover, each with its measured ratio and whether it is met. */
export function targets(summary) {
  const s = (sc, id) => summary[sc]?.[id];
  const list = [];
  // A ratio over a contender with failed requests is not a measurement: never "met".
  const add = (name, value, goal, cmp = '>=', unit = '×', sides = []) => {
    if (value === null || value === undefined || Number.isNaN(value)) return;
    const failed = sides.some((r) => r?.errors > 0);
    list.push({ name, value, goal, unit, met: !failed && (cmp === '>=' ? value >= goal : value <= goal), cmp, failed });
  };
  const tcc = s('cc', 'tessera');
  const bcc = s('cc', 'express-baseline');
  const [vt, vj] = [s('verify', 'tessera/verifier'), s('verify', 'jose jwtVerify')];
  add('client_credentials req/s: Tessera / bare Express baseline', paired(tcc, bcc), 0.6, '>=', '×', [tcc, bcc]);
  add('verifier (Redis revocation check) req/s / plain jose jwtVerify', paired(vt, vj), 0.6, '>=', '×', [vt, vj]);
  return list;
}

const fmt = (n, d = 0) => (n === null || n === undefined ? '-' : n.toFixed(d));

export function renderTable(summary) {
  const lines = [];
  lines.push('| scenario | contender | req/s | p50 ms | p99 ms | CPU µs/req | load generator CPU µs/req | Redis CPU µs/req | errors | req/s per round |');
  lines.push('| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |');
  for (const [scenario, byContender] of Object.entries(summary)) {
    for (const [id, r] of Object.entries(byContender)) {
      const errs = r.errors ? `**${r.errors} FAILED** ${JSON.stringify(r.statusCodes)}` : '0';
      lines.push(`| ${SCENARIOS[scenario]?.title ?? scenario} | ${id} | ${fmt(r.rps)} | ${fmt(r.p50)} | ${fmt(r.p99)} | ${fmt(r.cpuPerRequest)} | ${fmt(r.generatorCpuPerRequest)} | ${fmt(r.redisCpuPerRequest)} | ${errs} | ${r.rounds.join(', ')} |`);
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
    if (kind === 'refresh' && m.consumedRecordBytes) lines.push(`- after a rotation the family hash holds one more access-token id and the live token's time (no record per consumed token; reuse is detected through the family for its whole life): +${Math.round(m.consumedRecordBytes)} bytes (MEMORY USAGE)`);
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
    ['API-token introspection req/s / Tessera client_credentials req/s', r(s.introspect?.tessera, s.cc?.tessera)],
  ].filter(([, v]) => v);
  return lines.map(([k, v]) => `- ${k}: ${v}`).join('\n');
}
