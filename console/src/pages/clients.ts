/** Clients: list, create (secret shown once), edit scopes, audiences and redirect URIs, rotate the secret, delete. */
import { h, mount, type Child } from '../dom.js';
import { api, call } from '../api.js';
import { button, field, form, input, link, notice, secretBox, select, splitList, table, tags, when } from '../ui.js';
import type { PageContext } from '../app.js';
import type { components } from '../../../src/client/tessera-client.js';

type GrantType = components['schemas']['GrantType'];

export async function clientsPage(ctx: PageContext) {
  const cursor = ctx.query.get('cursor');
  const list = () => call(api.GET('/admin/v1/clients', { params: { query: { limit: 50, ...(cursor ? { cursor } : {}) } } }));
  const page = await list();
  const out = h('div', { class: 'secret-out' });
  const listingOf = (p: typeof page): Child[] => [
    table('Clients', ['Client', 'Name', 'Type', 'Grant types', 'Scopes', 'Redirect URIs', 'Created'], p.items.map((c) => [
      link(c.client_id, `/clients/${encodeURIComponent(c.client_id)}`), c.name, c.public ? 'public' : c.token_endpoint_auth_method,
      tags(c.grant_types), tags(c.scopes), tags(c.redirect_uris), when(c.created_at),
    ]), 'No clients.'),
    p.next_cursor ? h('nav', { class: 'paging', 'aria-label': 'Pages' }, link('Next page', `/clients?cursor=${encodeURIComponent(p.next_cursor)}`)) : null,
  ];
  const listing = h('div', { class: 'listing' }, listingOf(page));

  const create = form('Create a client', [
    field('Name', input({ name: 'name', required: true, maxlength: 200, autocomplete: 'off' })),
    field('Client id', input({ name: 'client_id', autocomplete: 'off' }), 'Optional: one is generated'),
    field('Type', select('type', [['confidential', 'Confidential (has a secret)'], ['public', 'Public (PKCE, no secret)']], 'confidential')),
    field('Grant types', input({ name: 'grant_types', value: 'client_credentials', autocomplete: 'off' }), 'Separated by spaces: client_credentials, authorization_code, refresh_token'),
    field('Scopes', input({ name: 'scopes', autocomplete: 'off' }), 'Separated by spaces'),
    field('Audiences', input({ name: 'audiences', autocomplete: 'off' }), 'Absolute URIs, separated by spaces'),
    field('Redirect URIs', input({ name: 'redirect_uris', autocomplete: 'off' }), 'Absolute URIs, separated by spaces'),
  ], 'Create client', async (data) => {
    const text = (k: string) => String(data.get(k) ?? '').trim();
    const created = await call(api.POST('/admin/v1/clients', {
      body: {
        name: text('name'),
        ...(text('client_id') ? { client_id: text('client_id') } : {}),
        public: text('type') === 'public',
        grant_types: splitList(text('grant_types')) as GrantType[],
        scopes: splitList(text('scopes')),
        audiences: splitList(text('audiences')),
        redirect_uris: splitList(text('redirect_uris')),
      },
    }));
    mount(out, notice(`Created ${created.name} (${created.client_id}).`, 'ok'),
      'client_secret' in created && created.client_secret ? secretBox(`Secret of ${created.name}`, created.client_secret) : null,
      h('p', null, link('Open its page', `/clients/${encodeURIComponent(created.client_id)}`)));
    out.querySelector<HTMLElement>('.copy-button, a')?.focus();
    // The new client shows in the list at once, the secret staying on screen.
    // The client exists whatever happens here: a failed reload leaves the list as it was, not an error.
    try {
      mount(listing, listingOf(await list()));
    } catch { /* the next visit shows it */ }
  });

  return [
    h('h1', null, 'Clients'),
    h('details', { class: 'create' }, h('summary', null, 'Create a client'), create),
    out,
    listing,
  ];
}

export async function clientDetailPage(ctx: PageContext) {
  const id = ctx.params[0]!;
  const c = await call(api.GET('/admin/v1/clients/{client_id}', { params: { path: { client_id: id } } }));
  const path = { params: { path: { client_id: id } } };
  const out = h('div', { class: 'secret-out' });
  const title = h('h1', null, c.name);

  const edit = form('Edit the client', [
    field('Name', input({ name: 'name', required: true, value: c.name, maxlength: 200 })),
    field('Scopes', input({ name: 'scopes', value: c.scopes.join(' ') }), 'Separated by spaces'),
    field('Audiences', input({ name: 'audiences', value: c.audiences.join(' ') }), 'Absolute URIs, separated by spaces'),
    field('Redirect URIs', input({ name: 'redirect_uris', value: c.redirect_uris.join(' ') }), 'Absolute URIs, separated by spaces'),
  ], 'Save changes', async (data) => {
    const text = (k: string) => String(data.get(k) ?? '').trim();
    const saved = await call(api.PATCH('/admin/v1/clients/{client_id}', {
      ...path, body: { name: text('name'), scopes: splitList(text('scopes')), audiences: splitList(text('audiences')), redirect_uris: splitList(text('redirect_uris')) },
    }));
    // The heading names the client as saved, not as it was when the page opened.
    title.textContent = saved.name;
    out.replaceChildren(notice('Saved.', 'ok'));
  });

  const rotate = c.public || c.token_endpoint_auth_method === 'private_key_jwt' ? null : button('Rotate secret', async () => {
    const rotated = await call(api.POST('/admin/v1/clients/{client_id}/secret', path));
    out.replaceChildren(notice('The old secret no longer works.', 'ok'), secretBox(`New secret of ${rotated.name}`, rotated.client_secret));
    out.querySelector<HTMLElement>('.copy-button')?.focus();
  }, 'primary');

  const confirm = h('input', { type: 'checkbox', id: 'confirm-delete', name: 'confirm' });
  const remove = form('Delete the client', [
    h('div', { class: 'check' }, confirm, h('label', { for: 'confirm-delete' }, `Yes, delete ${c.client_id}: its tokens stop working`)),
  ], 'Delete client', async () => {
    if (!confirm.checked) throw new Error('Tick the box to confirm.');
    await call(api.DELETE('/admin/v1/clients/{client_id}', path));
    ctx.go('/clients');
  }, 'danger');

  return [
    h('p', { class: 'crumbs' }, h('a', { href: '#/clients' }, '← Clients')),
    title,
    h('dl', { class: 'props' },
      h('dt', null, 'Client id'), h('dd', null, h('code', null, c.client_id)),
      h('dt', null, 'Type'), h('dd', null, c.public ? 'public' : c.token_endpoint_auth_method),
      h('dt', null, 'Grant types'), h('dd', null, tags(c.grant_types)),
      h('dt', null, 'Created'), h('dd', null, when(c.created_at)),
      h('dt', null, 'Secret rotated'), h('dd', null, when(c.secret_rotated_at, 'never'))),
    out,
    h('div', { class: 'panels' },
      h('section', { class: 'panel', 'aria-labelledby': 'edit-h' }, h('h2', { id: 'edit-h' }, 'Settings'), edit),
      rotate ? h('section', { class: 'panel', 'aria-labelledby': 'rot-h' }, h('h2', { id: 'rot-h' }, 'Secret'), h('p', null, 'A new secret replaces the old one at once.'), rotate) : null,
      h('section', { class: 'panel danger', 'aria-labelledby': 'del-h' }, h('h2', { id: 'del-h' }, 'Delete'), remove)),
  ];
}
