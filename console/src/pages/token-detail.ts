/** One API token: its fields, usage per route (chart), audit trail, rotate (with grace) and revoke (with a reason). */
import { h, type Child } from '../dom.js';
import { api, call } from '../api.js';
import { badge, field, form, input, notice, rankChart, secretBox, select, tags, when } from '../ui.js';
import type { PageContext } from '../app.js';
import { tokenApi } from './token-api.js';
import { actorText, rateLimitText } from './tokens.js';
import { auditTable } from './audit.js';

function row(label: string, value: Child): Child {
  return [h('dt', null, label), h('dd', null, value)];
}

export async function tokenDetailPage(ctx: PageContext) {
  const id = ctx.params[0]!;
  const tokens = tokenApi(ctx.admin);
  const [t, usage, audit] = await Promise.all([
    tokens.get(id),
    tokens.usage(id),
    ctx.admin ? call(api.GET('/admin/v1/audit', { params: { query: { token_id: id, limit: 50 } } })) : Promise.resolve(null),
  ]);
  const active = t.status === 'active';
  // A name is kinder than an id; a plain user's tokens are their own.
  const owner = ctx.admin
    ? await call(api.GET('/admin/v1/users/{user_id}', { params: { path: { user_id: t.user } } })).catch(() => null)
    : { id: ctx.me.id, username: ctx.me.username };
  const out = h('div', { class: 'secret-out' });

  const rotate = form('Rotate the secret', [
    field('Old secret keeps working for', select('grace', [['0', 'No grace: stops at once'], ['300', '5 minutes'], ['3600', '1 hour'], ['86400', '1 day']], '3600')),
  ], 'Rotate secret', async (data) => {
    const rotated = await tokens.rotate(id, Number(data.get('grace') ?? 0));
    out.replaceChildren(
      notice(rotated.previous_secret_expires_at ? `Rotated. The old secret works until ${new Date(rotated.previous_secret_expires_at).toLocaleString()}.` : 'Rotated. The old secret no longer works.', 'ok'),
      secretBox(`New secret of ${rotated.name}`, rotated.token));
    out.querySelector<HTMLElement>('.copy-button')?.focus();
  });

  const revoke = form('Revoke this token', [
    field('Reason', input({ name: 'reason', maxlength: 500, autocomplete: 'off' }), 'Kept with the token and in the audit log'),
  ], 'Revoke token', async (data) => {
    await tokens.revoke(id, String(data.get('reason') ?? '').trim());
    ctx.refresh();
  }, 'danger');

  const routes = Object.entries(usage.routes).sort((a, b) => b[1] - a[1]).map(([label, value]) => ({ label, value }));

  return [
    h('p', { class: 'crumbs' }, h('a', { href: '#/tokens' }, '← API tokens')),
    h('h1', null, t.name),
    h('dl', { class: 'props' },
      row('Id', h('code', null, t.id)),
      row('Status', badge(t.paused_at && active ? 'paused' : t.status)),
      row('Owner', owner ? [owner.username, ' ', h('code', null, owner.id)] : h('code', null, t.user)),
      row('Description', t.description ?? '—'),
      row('Scopes', tags(t.scopes)),
      row('Created', [when(t.created_at), ' by ', actorText(t.created_by)]),
      row('Expires', when(t.expires_at)),
      row('Last used', [when(t.last_used_at, 'never'), t.last_used_ip ? ` from ${t.last_used_ip}` : '']),
      row('IP allowlist', tags(t.allowed_ips, 'any address')),
      row('Rate limit', rateLimitText(t)),
      t.rotated_at ? row('Rotated', when(t.rotated_at)) : null,
      t.paused_at ? row('Paused', [when(t.paused_at), t.pause_reason ? `: ${t.pause_reason}` : '']) : null,
      t.revoked_at ? row('Revoked', [when(t.revoked_at), ' by ', actorText(t.revoked_by)]) : null,
      t.revoked_at ? row('Reason', t.revocation_reason ?? '—') : null),
    out,
    active ? h('div', { class: 'panels' },
      h('section', { class: 'panel', 'aria-labelledby': 'rotate-h' }, h('h2', { id: 'rotate-h' }, 'Rotate'), rotate),
      h('section', { class: 'panel danger', 'aria-labelledby': 'revoke-h' }, h('h2', { id: 'revoke-h' }, 'Revoke'), revoke)) : null,
    h('section', { 'aria-labelledby': 'usage-h' },
      h('h2', { id: 'usage-h' }, 'Usage per route'),
      rankChart(`Uses of ${t.name} per route`, routes)),
    audit ? h('section', { 'aria-labelledby': 'trail-h' },
      h('h2', { id: 'trail-h' }, 'Audit trail'),
      auditTable(audit.items)) : null,
  ];
}

