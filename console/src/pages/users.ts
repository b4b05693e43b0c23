/** Users and roles: list, create, disable, edit roles, sessions (see, revoke), revoke everything of a user. */
import { h } from '../dom.js';
import { api, call } from '../api.js';
import { badge, button, field, form, input, link, notice, splitList, table, tags, when } from '../ui.js';
import type { PageContext } from '../app.js';

export async function usersPage(ctx: PageContext) {
  const cursor = ctx.query.get('cursor');
  const [page, roles] = await Promise.all([
    call(api.GET('/admin/v1/users', { params: { query: { limit: 50, ...(cursor ? { cursor } : {}) } } })),
    call(api.GET('/admin/v1/roles')),
  ]);
  const out = h('div');

  const create = form('Create a user', [
    field('Username', input({ name: 'username', required: true, autocomplete: 'off' })),
    field('Password', input({ name: 'password', type: 'password', required: true, autocomplete: 'new-password' })),
    field('Roles', input({ name: 'roles', autocomplete: 'off' }), `Separated by spaces; known: ${roles.items.map((r) => r.name).join(', ') || 'none yet'}`),
  ], 'Create user', async (data) => {
    const user = await call(api.POST('/admin/v1/users', {
      body: { username: String(data.get('username') ?? '').trim(), password: String(data.get('password') ?? ''), roles: splitList(String(data.get('roles') ?? '')) },
    }));
    ctx.go(`/users/${encodeURIComponent(user.id)}`);
  });

  const role = form('Create or change a role', [
    field('Role', input({ name: 'role', required: true, autocomplete: 'off' })),
    field('Scopes', input({ name: 'scopes', autocomplete: 'off' }), 'Separated by spaces: the scopes its users may be given'),
  ], 'Save role', async (data) => {
    const name = String(data.get('role') ?? '').trim();
    await call(api.PUT('/admin/v1/roles/{role}', { params: { path: { role: name } }, body: { scopes: splitList(String(data.get('scopes') ?? '')) } }));
    ctx.refresh();
  });

  return [
    h('h1', null, 'Users and roles'),
    h('details', { class: 'create' }, h('summary', null, 'Create a user'), create),
    out,
    table('Users', ['User', 'Roles', 'Status', 'Created', 'Everything revoked at'], page.items.map((u) => [
      link(u.username, `/users/${encodeURIComponent(u.id)}`), tags(u.roles), badge(u.disabled ? 'disabled' : 'active'), when(u.created_at), when(u.tokens_revoked_at, 'never'),
    ]), 'No users.'),
    page.next_cursor ? h('nav', { class: 'paging', 'aria-label': 'Pages' }, link('Next page', `/users?cursor=${encodeURIComponent(page.next_cursor)}`)) : null,
    h('h2', null, 'Roles'),
    table('Roles', ['Role', 'Scopes', 'Changed'], roles.items.map((r) => [r.name, tags(r.scopes), when(r.updated_at)]), 'No roles.'),
    h('details', { class: 'create' }, h('summary', null, 'Create or change a role'), role),
  ];
}

export async function userDetailPage(ctx: PageContext) {
  const id = ctx.params[0]!;
  const path = { params: { path: { user_id: id } } };
  const [u, sessions] = await Promise.all([
    call(api.GET('/admin/v1/users/{user_id}', path)),
    call(api.GET('/admin/v1/users/{user_id}/sessions', { params: { path: { user_id: id }, query: { limit: 100 } } })),
  ]);
  const out = h('div');

  const roles = form('Edit roles', [
    field('Roles', input({ name: 'roles', value: u.roles.join(' ') }), 'Separated by spaces'),
  ], 'Save roles', async (data) => {
    await call(api.PATCH('/admin/v1/users/{user_id}', { ...path, body: { roles: splitList(String(data.get('roles') ?? '')) } }));
    ctx.refresh();
  });

  const toggle = button(u.disabled ? 'Enable user' : 'Disable user', async () => {
    await call(api.PATCH('/admin/v1/users/{user_id}', { ...path, body: { disabled: !u.disabled } }));
    ctx.refresh();
  }, u.disabled ? 'primary' : 'danger');

  const revokeAll = button('Revoke everything', async () => {
    await call(api.POST('/admin/v1/users/{user_id}/revoke-tokens', path));
    out.replaceChildren(notice(`Every access token and session of ${u.username} issued until now is revoked.`, 'ok'));
  }, 'danger');

  return [
    h('p', { class: 'crumbs' }, h('a', { href: '#/users' }, '← Users')),
    h('h1', null, u.username),
    h('dl', { class: 'props' },
      h('dt', null, 'Id'), h('dd', null, h('code', null, u.id)),
      h('dt', null, 'Status'), h('dd', null, badge(u.disabled ? 'disabled' : 'active')),
      h('dt', null, 'Roles'), h('dd', null, tags(u.roles)),
      h('dt', null, 'Created'), h('dd', null, when(u.created_at)),
      h('dt', null, 'Everything revoked at'), h('dd', null, when(u.tokens_revoked_at, 'never')),
      h('dt', null, 'API tokens'), h('dd', null, link('Their API tokens', `/tokens?owner=${encodeURIComponent(u.id)}`))),
    out,
    h('div', { class: 'panels' },
      h('section', { class: 'panel', 'aria-labelledby': 'roles-h' }, h('h2', { id: 'roles-h' }, 'Roles'), roles),
      h('section', { class: 'panel danger', 'aria-labelledby': 'acc-h' }, h('h2', { id: 'acc-h' }, 'Access'),
        h('p', null, 'Disabling refuses sign-in and new tokens. Revoking everything ends every session and access token issued so far.'),
        h('div', { class: 'actions' }, toggle, revokeAll))),
    h('h2', null, 'Sessions'),
    table('Sessions', ['Client', 'Scopes', 'Signed in', 'Last refreshed', 'Expires', ''], sessions.items.map((s) => [
      s.client_name ? `${s.client_name} (${s.client_id})` : s.client_id, tags(s.scopes), when(s.authenticated_at), when(s.last_refreshed_at, 'never'), when(s.expires_at),
      button('Revoke', async () => {
        await call(api.DELETE('/admin/v1/users/{user_id}/sessions/{session_id}', { params: { path: { user_id: id, session_id: s.id } } }));
        ctx.refresh();
      }, 'danger'),
    ]), 'No live sessions.'),
  ];
}
