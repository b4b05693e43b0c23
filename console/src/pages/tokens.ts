/**
 * API tokens: the table (search, filters, sort, paging) and the create form
 * whose answer shows the secret once. Admins see every owner's tokens;
 * other users their own, through /v1/me.
 */
import { h, mount, type Child } from '../dom.js';
import { api, call } from '../api.js';
import { badge, field, form, input, link, notice, secretBox, select, splitList, table, tags, when } from '../ui.js';
import type { PageContext } from '../app.js';
import { tokenApi, type ApiToken, type TokenQuery } from './token-api.js';

const DAY = 86_400;

export function rateLimitText(t: Pick<ApiToken, 'rate_limit'>): string {
  return t.rate_limit ? `${t.rate_limit.requests} per ${t.rate_limit.per_seconds} s` : 'default';
}

export function actorText(a: { type: string; id?: string | null } | null): string {
  return a ? `${a.type}${a.id ? ` ${a.id}` : ''}` : '—';
}

async function usernames(admin: boolean): Promise<Map<string, string>> {
  if (!admin) return new Map();
  const page = await call(api.GET('/admin/v1/users', { params: { query: { limit: 200 } } }));
  return new Map(page.items.map((u) => [u.id, u.username]));
}

function queryOf(q: URLSearchParams, admin: boolean): TokenQuery {
  const query: TokenQuery = { limit: 25 };
  const text = q.get('q');
  if (text) query.q = text;
  const status = q.get('status');
  if (status === 'active' || status === 'expired' || status === 'revoked') query.status = status;
  if (q.get('filter') === 'expiring') query.expiring_within = 7 * DAY;
  if (q.get('filter') === 'unused') query.unused_for = 30 * DAY;
  const owner = q.get('owner');
  if (admin && owner) query.user = owner;
  const sort = q.get('sort');
  if (sort === 'created_at' || sort === 'expires_at' || sort === 'last_used_at' || sort === 'name') query.sort = sort;
  const order = q.get('order');
  if (query.sort && (order === 'asc' || order === 'desc')) query.order = order;
  const cursor = q.get('cursor');
  if (cursor) query.cursor = cursor;
  return query;
}

export async function tokensPage(ctx: PageContext) {
  const { admin, query: q } = ctx;
  const tokens = tokenApi(admin);
  const [page, names] = await Promise.all([tokens.list(queryOf(q, admin)), usernames(admin)]);
  const ownerName = (id: string) => names.get(id) ?? id;

  const filters = h('form', { class: 'filters', role: 'search', 'aria-label': 'Filter API tokens' },
    field('Search', input({ name: 'q', type: 'search', value: q.get('q') ?? '', placeholder: 'name, description or id' })),
    field('Status', select('status', [['', 'Any'], ['active', 'Active'], ['expired', 'Expired'], ['revoked', 'Revoked']], q.get('status') ?? '')),
    field('Show', select('filter', [['', 'All'], ['expiring', 'Expiring within 7 days'], ['unused', 'Unused for 30 days']], q.get('filter') ?? '')),
    admin ? field('Owner', input({ name: 'owner', value: q.get('owner') ?? '', placeholder: 'username or id' })) : null,
    field('Sort by', select('sort', [['', 'Id'], ['created_at', 'Created'], ['expires_at', 'Expires'], ['last_used_at', 'Last used'], ['name', 'Name']], q.get('sort') ?? '')),
    field('Order', select('order', [['', 'Default'], ['desc', 'Descending'], ['asc', 'Ascending']], q.get('order') ?? '')),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'btn btn-primary' }, 'Apply')));
  filters.addEventListener('submit', (e) => {
    e.preventDefault();
    const params = new URLSearchParams();
    for (const [k, v] of new FormData(filters)) if (typeof v === 'string' && v.trim()) params.set(k, v.trim());
    ctx.go(`/tokens${params.size ? `?${params}` : ''}`);
  });

  const rowsOf = (items: typeof page.items): Child[][] => items.map((t) => [
    link(t.name, `/tokens/${encodeURIComponent(t.id)}`),
    admin ? ownerName(t.user) : null,
    tags(t.scopes),
    actorText(t.created_by),
    when(t.created_at),
    when(t.expires_at),
    when(t.last_used_at, 'never'),
    t.last_used_ip ?? '—',
    badge(t.paused_at && t.status === 'active' ? 'paused' : t.status),
    tags(t.allowed_ips, 'any'),
    rateLimitText(t),
  ].filter((c) => c !== null));
  const headers = ['Name', ...(admin ? ['Owner'] : []), 'Scopes', 'Created by', 'Created', 'Expires', 'Last used', 'Last used from', 'Status', 'IP allowlist', 'Rate limit'];
  const listingOf = (p: typeof page): Child[] => [
    table('API tokens', headers, rowsOf(p.items), 'No API token matches.'),
    h('nav', { class: 'paging', 'aria-label': 'Pages' },
      q.get('cursor') ? link('First page', `/tokens?${withParam(q, 'cursor', null)}`) : null,
      p.next_cursor ? link('Next page', `/tokens?${withParam(q, 'cursor', p.next_cursor)}`) : null),
  ];
  const listing = h('div', { class: 'listing' }, listingOf(page));

  const secretOut = h('div', { class: 'secret-out' });
  const create = form('Create an API token', [
    admin ? field('Owner', input({ name: 'owner', required: true, value: ctx.me.username, autocomplete: 'off' }), 'A username or user id') : null,
    field('Name', input({ name: 'name', required: true, maxlength: 200, autocomplete: 'off' })),
    field('Scopes', input({ name: 'scopes', required: true, autocomplete: 'off' }), 'Separated by spaces; each must be one the owner\'s roles give'),
    field('Expires in', select('expires', [['7', '7 days'], ['30', '30 days'], ['90', '90 days']], '30')),
    field('IP allowlist', input({ name: 'allowed_ips', autocomplete: 'off' }), 'Optional: CIDR blocks separated by spaces'),
    field('Rate limit (requests per minute)', input({ name: 'rate', type: 'number', min: 1, max: 100000, inputmode: 'numeric' }), 'Optional'),
    field('Description', h('textarea', { name: 'description', rows: 2, maxlength: 1000 })),
  ], 'Create token', async (data) => {
    const text = (k: string) => String(data.get(k) ?? '').trim();
    const ips = splitList(text('allowed_ips'));
    const rate = Number(text('rate'));
    const created = await tokens.create({
      name: text('name'),
      scopes: splitList(text('scopes')),
      expires_in: Number(text('expires')) * DAY,
      ...(text('description') ? { description: text('description') } : {}),
      ...(ips.length ? { allowed_ips: ips } : {}),
      ...(rate > 0 ? { rate_limit: { requests: rate, per_seconds: 60 } } : {}),
    }, text('owner'));
    secretOut.replaceChildren(
      notice(`Created ${created.name} (${created.id}).`, 'ok'),
      secretBox(`Secret of ${created.name}`, created.token),
      h('p', null, link('Open its page', `/tokens/${encodeURIComponent(created.id)}`)));
    secretOut.querySelector<HTMLElement>('.copy-button')?.focus();
    // The new token shows in the table at once, under the same filters, without leaving the page.
    // The token exists whatever happens here: a failed reload leaves the table as it was, not an error.
    try {
      const [fresh, freshNames] = await Promise.all([tokens.list(queryOf(q, admin)), usernames(admin)]);
      for (const [id, username] of freshNames) names.set(id, username);
      mount(listing, listingOf(fresh));
    } catch { /* the next visit or filter shows it */ }
  });

  return [
    h('h1', null, admin ? 'API tokens' : 'Your API tokens'),
    h('details', { class: 'create' }, h('summary', null, 'Create an API token'), create),
    secretOut,
    filters,
    listing,
  ];
}

function withParam(q: URLSearchParams, key: string, value: string | null): string {
  const next = new URLSearchParams(q);
  if (value === null) next.delete(key);
  else next.set(key, value);
  return next.toString();
}
