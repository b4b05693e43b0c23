/** The shell: header, navigation, theme, routing by the URL's fragment (#/tokens/tok_...), sign-in state. */
import { h, mount, type Child } from './dom.js';
import { api, ApiError, call } from './api.js';
import { completeSignIn, grantedScopes, signIn, signOut, SignedOut } from './auth.js';
import { button, errorText, notice } from './ui.js';
import type { components } from '../../src/client/tessera-client.js';
import { overviewPage } from './pages/overview.js';
import { tokensPage } from './pages/tokens.js';
import { tokenDetailPage } from './pages/token-detail.js';
import { clientsPage, clientDetailPage } from './pages/clients.js';
import { usersPage, userDetailPage } from './pages/users.js';
import { keysPage } from './pages/keys.js';
import { auditPage } from './pages/audit.js';

export type Me = components['schemas']['Me'];

export interface PageContext {
  me: Me;
  admin: boolean;
  params: string[];
  query: URLSearchParams;
  /** Go to another page (a fragment like `/tokens/tok_x`). */
  go(hash: string): void;
  /** Render the current page again. */
  refresh(): void;
  /** Runs when the page is left (timers of a live view). */
  onLeave(fn: () => void): void;
}

type Page = (ctx: PageContext) => Promise<Child>;
interface Route { pattern: RegExp; title: string; page: Page; admin: boolean; nav?: string }

const ROUTES: Route[] = [
  { pattern: /^\/$/, title: 'Overview', page: overviewPage, admin: true, nav: '/' },
  { pattern: /^\/tokens$/, title: 'API tokens', page: tokensPage, admin: false, nav: '/tokens' },
  { pattern: /^\/tokens\/([^/]+)$/, title: 'API token', page: tokenDetailPage, admin: false },
  { pattern: /^\/clients$/, title: 'Clients', page: clientsPage, admin: true, nav: '/clients' },
  { pattern: /^\/clients\/([^/]+)$/, title: 'Client', page: clientDetailPage, admin: true },
  { pattern: /^\/users$/, title: 'Users and roles', page: usersPage, admin: true, nav: '/users' },
  { pattern: /^\/users\/([^/]+)$/, title: 'User', page: userDetailPage, admin: true },
  { pattern: /^\/keys$/, title: 'Signing keys', page: keysPage, admin: true, nav: '/keys' },
  { pattern: /^\/audit$/, title: 'Audit log', page: auditPage, admin: true, nav: '/audit' },
];

const THEME_KEY = 'tessera-console-theme';
type Theme = 'system' | 'light' | 'dark';

function applyTheme(theme: Theme): void {
  if (theme === 'system') delete document.documentElement.dataset.theme;
  else document.documentElement.dataset.theme = theme;
}

function themeSwitch(): HTMLElement {
  const current = (localStorage.getItem(THEME_KEY) as Theme | null) ?? 'system';
  applyTheme(current);
  const sel = h('select', { id: 'theme', name: 'theme' },
    (['system', 'light', 'dark'] as const).map((t) => h('option', { value: t, selected: t === current }, t === 'system' ? 'System' : t === 'light' ? 'Light' : 'Dark')));
  sel.addEventListener('change', () => {
    const theme = sel.value as Theme;
    // A display preference, nothing secret: the only thing the console stores.
    localStorage.setItem(THEME_KEY, theme);
    applyTheme(theme);
  });
  return h('div', { class: 'theme' }, h('label', { for: 'theme' }, 'Theme'), sel);
}

function parseHash(): { path: string; query: URLSearchParams } {
  const raw = location.hash.replace(/^#/, '') || '/';
  const q = raw.indexOf('?');
  return { path: q === -1 ? raw : raw.slice(0, q), query: new URLSearchParams(q === -1 ? '' : raw.slice(q + 1)) };
}

export function notAllowed(): Child {
  return [
    h('h1', { tabindex: -1 }, 'Not allowed'),
    notice('Your account may not open this page: it needs an administrator role (the scope tessera:admin). You can manage your own API tokens.', 'error'),
    h('p', null, h('a', { href: '#/tokens' }, 'Go to your API tokens')),
  ];
}

export async function start(root: HTMLElement): Promise<void> {
  const main = h('main', { id: 'main' });
  const nav = h('nav', { 'aria-label': 'Console' });
  const userBox = h('div', { class: 'user' });
  const header = h('header', { class: 'top' },
    h('a', { class: 'skip', href: '#main-heading' }, 'Skip to content'),
    h('div', { class: 'brand' }, h('span', { class: 'logo', 'aria-hidden': 'true' }, '◆'), ' Tessera console'),
    nav, h('div', { class: 'top-end' }, themeSwitch(), userBox));
  mount(root, header, main);
  // The skip link targets the heading by id without changing the route fragment.
  header.querySelector('.skip')!.addEventListener('click', (e) => {
    e.preventDefault();
    main.querySelector('h1')?.focus();
  });

  const signedOutView = (message?: string) => {
    mount(nav);
    mount(userBox);
    mount(main,
      h('h1', { tabindex: -1 }, 'Sign in'),
      message ? notice(message, 'error') : null,
      h('p', null, 'Sign in with your Tessera account to see and manage tokens.'),
      button('Sign in with Tessera', () => { void signIn(); }, 'primary'));
  };

  let me: Me;
  try {
    if (location.pathname.endsWith('/console/callback')) await completeSignIn();
    me = await call(api.GET('/v1/me'));
  } catch (err) {
    signedOutView(err instanceof SignedOut && err.message === 'no console session' ? undefined : errorText(err));
    return;
  }
  const admin = grantedScopes().includes('tessera:admin');

  mount(nav, h('ul', null, ROUTES.filter((r) => r.nav && (admin || !r.admin)).map((r) => h('li', null, h('a', { href: `#${r.nav}`, 'data-nav': r.nav! }, r.title)))));
  mount(userBox,
    h('span', { class: 'who' }, me.username, admin ? ' (admin)' : ''),
    button('Sign out', async () => {
      await signOut();
      signedOutView();
    }));

  let leaving: Array<() => void> = [];
  let generation = 0;
  const render = async () => {
    for (const fn of leaving) fn();
    leaving = [];
    const mine = ++generation;
    const { path, query } = parseHash();
    for (const a of nav.querySelectorAll('a')) {
      const target = a.getAttribute('data-nav')!;
      const current = target === '/' ? path === '/' : path === target || path.startsWith(`${target}/`);
      if (current) a.setAttribute('aria-current', 'page');
      else a.removeAttribute('aria-current');
    }
    const route = ROUTES.find((r) => r.pattern.test(path));
    let content: Child;
    if (!route) {
      // A plain user's home is their tokens.
      if (path !== '/') content = [h('h1', { tabindex: -1 }, 'Not found'), notice('There is no such page.', 'error')];
    }
    if (route && route.admin && !admin) {
      if (path === '/') {
        location.replace('#/tokens');
        return;
      }
      content = notAllowed();
      document.title = 'Not allowed · Tessera console';
    } else if (route) {
      const params = path.match(route.pattern)!.slice(1).map(decodeURIComponent);
      document.title = `${route.title} · Tessera console`;
      main.setAttribute('aria-busy', 'true');
      try {
        content = await route.page({
          me, admin, params, query,
          go: (hash) => { location.hash = hash; },
          refresh: () => { void render(); },
          onLeave: (fn) => { leaving.push(fn); },
        });
      } catch (err) {
        if (err instanceof SignedOut) return signedOutView('Your session ended: sign in again.');
        content = err instanceof ApiError && err.status === 403
          ? notAllowed()
          : [h('h1', { tabindex: -1 }, route.title), notice(errorText(err), 'error')];
      } finally {
        main.removeAttribute('aria-busy');
      }
    }
    if (mine !== generation) return;
    mount(main, content);
    const heading = main.querySelector('h1');
    if (heading) {
      heading.id = 'main-heading';
      heading.setAttribute('tabindex', '-1');
      heading.focus({ preventScroll: true });
    }
  };
  window.addEventListener('hashchange', () => { void render(); });
  await render();
}
