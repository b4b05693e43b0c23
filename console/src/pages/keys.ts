/** Signing keys: state (next, active, retired), when created, activated and retired; rotate. */
import { h } from '../dom.js';
import { api, call } from '../api.js';
import { badge, button, notice, table, when } from '../ui.js';
import type { PageContext } from '../app.js';

export async function keysPage(ctx: PageContext) {
  const keys = await call(api.GET('/admin/v1/keys'));
  const out = h('div');
  const rotate = button('Rotate keys', async () => {
    const r = await call(api.POST('/admin/v1/keys/rotate'));
    out.replaceChildren(notice(`Rotated: ${r.active} is active, ${r.next} is next${r.retired ? `, ${r.retired} retired` : ''}.`, 'ok'));
    setTimeout(() => ctx.refresh(), 1500);
  }, 'primary');
  return [
    h('h1', null, 'Signing keys'),
    h('p', null, 'The next key is published before it signs, so verifiers know it in time; a retired key stays published until the tokens it signed have expired.'),
    table('Signing keys', ['Key id', 'Algorithm', 'State', 'Published', 'Created', 'Activated', 'Retired'], keys.items.map((k) => [
      h('code', null, k.kid), k.alg, badge(k.state), k.published ? 'yes' : 'no', when(k.created_at), when(k.activated_at, 'not yet'), when(k.retired_at, '—'),
    ])),
    h('div', { class: 'actions' }, rotate),
    out,
  ];
}
