/** Audit log: filters (actor, subject, token, type, time), a live tail by polling, and an NDJSON export. */
import { h, type Child } from '../dom.js';
import { api, call } from '../api.js';
import { button, errorText, field, input, link, table, when } from '../ui.js';
import type { PageContext } from '../app.js';
import type { components, paths } from '../../../src/client/tessera-client.js';

type AuditEvent = components['schemas']['AuditEvent'];
type AuditQuery = NonNullable<paths['/admin/v1/audit']['get']['parameters']['query']>;
const TAIL_MS = 3000;

function detailText(detail: Record<string, unknown>): string {
  const entries = Object.entries(detail);
  return entries.length ? entries.map(([k, v]) => `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`).join('; ') : '';
}

function tokenCell(e: AuditEvent): Child {
  const id = e.token_id;
  if (!id) return '—';
  return id.startsWith('tok_') ? link(id, `/tokens/${encodeURIComponent(id)}`) : h('code', null, id);
}

export function auditRows(items: AuditEvent[]): Child[][] {
  return items.map((e) => [
    when(e.time), h('code', null, e.type), e.actor ? `${e.actor.type}${e.actor.id ? ` ${e.actor.id}` : ''}` : '—',
    e.subject ?? '—', tokenCell(e), e.client_id ?? '—', e.ip ?? '—', detailText(e.detail as Record<string, unknown>),
  ]);
}

const HEADERS = ['Time', 'Type', 'Actor', 'Subject', 'Token', 'Client', 'Address', 'Detail'];

export function auditTable(items: AuditEvent[]): HTMLElement {
  return table('Audit events', HEADERS, auditRows(items), 'No events.');
}

const FILTERS = ['actor', 'subject', 'token_id', 'type', 'since', 'until'] as const;

function queryOf(q: URLSearchParams): AuditQuery {
  const query: AuditQuery = { limit: 50 };
  for (const k of FILTERS) {
    const v = q.get(k);
    if (!v) continue;
    if (k === 'since' || k === 'until') {
      const d = new Date(v);
      if (!Number.isNaN(d.getTime())) query[k] = d.toISOString();
    } else {
      query[k] = v;
    }
  }
  return query;
}

/** datetime-local wants local time without zone: `2026-01-02T03:04`. */
function localValue(v: string | null): string {
  if (!v) return '';
  const d = new Date(v);
  if (Number.isNaN(d.getTime())) return '';
  const off = d.getTimezoneOffset() * 60_000;
  return new Date(d.getTime() - off).toISOString().slice(0, 16);
}

export async function auditPage(ctx: PageContext) {
  const q = ctx.query;
  const query = queryOf(q);
  const page = await call(api.GET('/admin/v1/audit', { params: { query } }));
  const events = [...page.items];
  let next = page.next_cursor;

  const filters = h('form', { class: 'filters', role: 'search', 'aria-label': 'Filter audit events' },
    field('Actor', input({ name: 'actor', value: q.get('actor') ?? '', placeholder: 'client or user id' })),
    field('Subject', input({ name: 'subject', value: q.get('subject') ?? '' })),
    field('Token', input({ name: 'token_id', value: q.get('token_id') ?? '', placeholder: 'tok_… or jti' })),
    field('Type', input({ name: 'type', value: q.get('type') ?? '', placeholder: 'e.g. api_token.revoked', list: 'audit-types' })),
    h('datalist', { id: 'audit-types' }, ['api_token.created', 'api_token.revoked', 'api_token.refused', 'token.issued', 'token.revoked', 'login.failed', 'login.succeeded', 'refresh_token.reuse_detected', 'session.revoked', 'client.created', 'key.rotated']
      .map((t) => h('option', { value: t }))),
    field('Since', input({ name: 'since', type: 'datetime-local', value: localValue(q.get('since')) })),
    field('Until', input({ name: 'until', type: 'datetime-local', value: localValue(q.get('until')) })),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'btn btn-primary' }, 'Apply')));
  filters.addEventListener('submit', (e) => {
    e.preventDefault();
    const params = new URLSearchParams();
    for (const [k, v] of new FormData(filters)) {
      if (typeof v !== 'string' || !v.trim()) continue;
      params.set(k, k === 'since' || k === 'until' ? new Date(v).toISOString() : v.trim());
    }
    ctx.go(`/audit${params.size ? `?${params}` : ''}`);
  });

  const list = h('div', { class: 'audit-list' }, auditTable(events));
  const status = h('p', { class: 'tail-status', role: 'status' });
  const more = button('Load older events', async () => {
    if (!next) return;
    const older = await call(api.GET('/admin/v1/audit', { params: { query: { ...query, cursor: next } } }));
    events.push(...older.items);
    next = older.next_cursor;
    list.replaceChildren(auditTable(events));
    more.hidden = !next;
  });
  more.hidden = !next;

  // Live tail: poll for events newer than the newest shown, add them on top.
  let timer: ReturnType<typeof setInterval> | undefined;
  const poll = async () => {
    const newest = events[0]?.time;
    const fresh = await call(api.GET('/admin/v1/audit', { params: { query: { ...query, ...(newest ? { since: newest } : {}), cursor: undefined } } }));
    const seen = new Set(events.map((e) => e.id));
    const added = fresh.items.filter((e) => !seen.has(e.id));
    if (added.length) {
      events.unshift(...added);
      list.replaceChildren(auditTable(events));
    }
    status.textContent = `Live: checked ${new Date().toLocaleTimeString()}${added.length ? `, ${added.length} new` : ''}.`;
  };
  const tail = h('input', { type: 'checkbox', id: 'tail', name: 'tail' });
  tail.addEventListener('change', () => {
    if (timer) clearInterval(timer);
    timer = undefined;
    if (tail.checked) {
      timer = setInterval(() => { poll().catch((err: unknown) => { status.textContent = errorText(err); }); }, TAIL_MS);
      status.textContent = 'Live: on.';
    } else {
      status.textContent = 'Live: off.';
    }
  });
  ctx.onLeave(() => { if (timer) clearInterval(timer); });

  const exportButton = button('Export (NDJSON)', async () => {
    const { since, until, actor, subject, token_id, type } = query;
    const { data, response } = await api.GET('/admin/v1/audit/export', {
      params: { query: { since, until, actor, subject, token_id, type } }, parseAs: 'blob',
    });
    if (!response.ok || !data) {
      status.textContent = `Export failed (${response.status}).`;
      return;
    }
    const url = URL.createObjectURL(data as Blob);
    const a = h('a', { href: url, download: 'tessera-audit.jsonl', class: 'visually-hidden' }, 'download');
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
    status.textContent = 'Export downloaded.';
  });

  return [
    h('h1', null, 'Audit log'),
    filters,
    h('div', { class: 'toolbar' }, h('div', { class: 'check' }, tail, h('label', { for: 'tail' }, 'Live tail')), exportButton),
    status,
    list,
    more,
  ];
}
