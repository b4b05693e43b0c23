/** Overview: token counts and activity of the last day, with tokens issued per hour as a chart. */
import { h } from '../dom.js';
import { api, call } from '../api.js';
import { barChart, link, when } from '../ui.js';
import type { PageContext } from '../app.js';

function stat(label: string, value: number, hash?: string): HTMLElement {
  return h('div', { class: 'stat' }, h('dt', null, hash ? link(label, hash) : label), h('dd', null, String(value)));
}

export async function overviewPage(_ctx: PageContext) {
  const o = await call(api.GET('/admin/v1/overview', { params: { query: { hours: 24 } } }));
  const hourly = o.hourly.map((hr) => ({
    label: new Date(hr.hour).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' }),
    value: hr.events['token.issued'],
  }));
  return [
    h('h1', null, 'Overview'),
    h('p', { class: 'muted' }, 'As of ', when(o.generated_at), '.'),
    h('dl', { class: 'stats' },
      stat('Active API tokens', o.api_tokens.active, '/tokens?status=active'),
      stat('Expiring within 7 days', o.api_tokens.expiring_within_7_days, '/tokens?filter=expiring'),
      stat('Unused for 30 days', o.api_tokens.unused_for_30_days, '/tokens?filter=unused'),
      stat('API tokens revoked (24 h)', o.events['api_token.revoked'], '/audit?type=api_token.revoked'),
      stat('Refresh reuse detections (24 h)', o.events['refresh_token.reuse_detected'], '/audit?type=refresh_token.reuse_detected'),
      stat('Refused API-token uses (24 h)', o.events['api_token.refused'], '/audit?type=api_token.refused'),
      stat('Failed logins (24 h)', o.events['login.failed'], '/audit?type=login.failed'),
      stat('Tokens issued (24 h)', o.events['token.issued'])),
    h('section', { 'aria-labelledby': 'issued-h' },
      h('h2', { id: 'issued-h' }, 'Tokens issued per hour'),
      barChart('Access tokens issued per hour, last 24 hours', hourly)),
  ];
}
