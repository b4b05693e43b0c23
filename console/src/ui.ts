/** Small pieces every page uses: fields, buttons, tables, notices, the secret box, charts, times. */
import { h, s, type Child } from './dom.js';

let ids = 0;
export const uid = (prefix: string) => `${prefix}-${++ids}`;

export function when(iso: string | null | undefined, empty = '—'): Child {
  if (!iso) return empty;
  const d = new Date(iso);
  return h('time', { datetime: iso, title: iso }, d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' }));
}

export function field(label: string, input: HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement, hint?: string): HTMLElement {
  input.id ||= uid('f');
  const hintNode = hint ? h('span', { class: 'hint', id: `${input.id}-hint` }, hint) : null;
  if (hintNode) input.setAttribute('aria-describedby', hintNode.id);
  return h('div', { class: 'field' }, h('label', { for: input.id }, label), input, hintNode);
}

export function input(props: Record<string, string | boolean | number | null | undefined>): HTMLInputElement {
  return h('input', { type: 'text', ...props });
}

export function select(name: string, options: Array<[string, string]>, value = ''): HTMLSelectElement {
  return h('select', { name }, options.map(([v, label]) => h('option', { value: v, selected: v === value }, label)));
}

export function button(text: string, onClick: (e: Event) => void, kind: 'primary' | 'danger' | 'plain' = 'plain', type: 'button' | 'submit' = 'button'): HTMLButtonElement {
  return h('button', { type, class: `btn btn-${kind}`, onclick: onClick }, text);
}

export function link(text: Child, hash: string): HTMLAnchorElement {
  return h('a', { href: `#${hash}` }, text);
}

/** A message read out by screen readers: errors as alerts, the rest politely. */
export function notice(text: string, kind: 'error' | 'ok' | 'info' = 'info'): HTMLElement {
  return h('p', { class: `notice notice-${kind}`, role: kind === 'error' ? 'alert' : 'status' }, text);
}

export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export function table(caption: string, headers: string[], rows: Child[][], empty = 'Nothing to show.'): HTMLElement {
  if (rows.length === 0) return notice(empty);
  return h('div', { class: 'table-wrap', role: 'region', 'aria-label': caption, tabindex: 0 },
    h('table', null,
      h('caption', { class: 'visually-hidden' }, caption),
      h('thead', null, h('tr', null, headers.map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', null, rows.map((cells) => h('tr', null, cells.map((c, i) => h('td', { 'data-label': headers[i] ?? '' }, c)))))));
}

export function tags(list: readonly string[] | null | undefined, empty = '—'): Child {
  if (!list || list.length === 0) return empty;
  return h('ul', { class: 'tags' }, list.map((t) => h('li', null, t)));
}

export function badge(status: string): HTMLElement {
  return h('span', { class: `badge badge-${status.replace(/[^a-z]/g, '')}` }, status);
}

/** A secret shown once: the value, a copy button, and the warning that it will not be shown again. */
export function secretBox(label: string, secret: string): HTMLElement {
  const code = h('code', { class: 'secret-value', 'data-secret': '' }, secret);
  const status = h('span', { class: 'copy-status', role: 'status' });
  const copy = button('Copy', async () => {
    try {
      await navigator.clipboard.writeText(secret);
      copy.setAttribute('data-copied', 'true');
      status.textContent = 'Copied to the clipboard.';
    } catch {
      // No clipboard permission: select it for a manual copy.
      const range = document.createRange();
      range.selectNodeContents(code);
      getSelection()?.removeAllRanges();
      getSelection()?.addRange(range);
      status.textContent = 'Selected: copy it with your keyboard.';
    }
  }, 'primary');
  copy.classList.add('copy-button');
  return h('section', { class: 'secret-box', 'aria-label': label },
    h('h3', null, label),
    h('p', { class: 'warning' }, 'Copy it now: it is shown only once, and Tessera keeps only its hash.'),
    h('div', { class: 'secret-row' }, code, copy), status);
}

/** A bar chart as inline SVG (classes, no inline styles), with a text summary for screen readers. */
export function barChart(title: string, points: Array<{ label: string; value: number }>): HTMLElement {
  const width = 640;
  const height = 180;
  const pad = 24;
  const max = Math.max(1, ...points.map((p) => p.value));
  const bar = points.length ? (width - pad * 2) / points.length : 0;
  const total = points.reduce((n, p) => n + p.value, 0);
  const svg = s('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': `${title}: ${total} in total`, class: 'chart', preserveAspectRatio: 'none' },
    s('title', null, `${title}: ${total} in total`),
    s('line', { x1: pad, y1: height - pad, x2: width - pad, y2: height - pad, class: 'chart-axis' }),
    points.map((p, i) => {
      const hgt = ((height - pad * 2) * p.value) / max;
      return s('rect', { x: pad + i * bar + 1, y: height - pad - hgt, width: Math.max(bar - 2, 1), height: hgt, class: 'chart-bar' },
        s('title', null, `${p.label}: ${p.value}`));
    }),
    s('text', { x: pad, y: pad - 8, class: 'chart-label' }, `max ${max}`));
  return h('figure', { class: 'chart-figure' }, svg, h('figcaption', null, title));
}

/** Horizontal bars with their numbers as text: usage per route. */
export function rankChart(title: string, points: Array<{ label: string; value: number }>): HTMLElement {
  if (points.length === 0) return notice('No use recorded yet.');
  const max = Math.max(1, ...points.map((p) => p.value));
  const rowH = 28;
  const width = 640;
  const labelW = 260;
  const svg = s('svg', { viewBox: `0 0 ${width} ${points.length * rowH}`, role: 'img', 'aria-label': title, class: 'chart chart-rank' },
    s('title', null, title),
    points.map((p, i) => s('g', null,
      s('text', { x: 0, y: i * rowH + 18, class: 'chart-label' }, p.label.length > 34 ? `${p.label.slice(0, 33)}…` : p.label),
      s('rect', { x: labelW, y: i * rowH + 6, width: Math.max(((width - labelW - 60) * p.value) / max, 1), height: rowH - 12, class: 'chart-bar' }),
      s('text', { x: width - 50, y: i * rowH + 18, class: 'chart-label' }, String(p.value)))));
  return h('figure', { class: 'chart-figure' }, svg, h('figcaption', null, title),
    table(`${title} (numbers)`, ['Route', 'Uses'], points.map((p) => [p.label, String(p.value)])));
}

export function splitList(text: string): string[] {
  return text.split(/[\s,]+/).map((t) => t.trim()).filter(Boolean);
}

/** A form whose submit runs `action` and shows its error inline, with the button busy meanwhile. */
export function form(label: string, fields: Child[], submitText: string, action: (data: FormData) => Promise<void>, kind: 'primary' | 'danger' = 'primary'): HTMLFormElement {
  const out = h('div', { class: 'form-out' });
  const submit = button(submitText, () => undefined, kind, 'submit');
  const f = h('form', { class: 'form', 'aria-label': label }, fields, h('div', { class: 'actions' }, submit), out);
  f.addEventListener('submit', (e) => {
    e.preventDefault();
    submit.disabled = true;
    out.replaceChildren();
    action(new FormData(f)).catch((err: unknown) => out.replaceChildren(notice(errorText(err), 'error'))).finally(() => { submit.disabled = false; });
  });
  return f;
}
