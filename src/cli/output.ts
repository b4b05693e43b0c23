/**
 * Plain-text output for people: aligned tables and `key: value` lines. JSON
 * output (--json) does not come through here; it is the server's answer.
 */

export type Cell = string | number | boolean | null | undefined;

/**
 * Names, descriptions and reasons are set by whoever created a token; a
 * newline would break the table and an escape sequence could rewrite the
 * terminal, so control characters are shown escaped.
 */
export function clean(value: Cell): string {
  if (value === null || value === undefined || value === '') return '-';
  return escapeControls(String(value));
}

/** Control characters shown escaped (a tab as a space): for anything a server or a user chose, tables and messages alike. */
export const escapeControls = (text: string): string =>
  text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => (c === '\t' ? ' ' : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`));

/** Columns padded to their widest cell; the last one is not padded, so lines have no trailing spaces. */
export function table(headers: string[], rows: Cell[][]): string[] {
  const cells = [headers, ...rows.map((r) => r.map(clean))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  return cells.map((r) => r.map((c, i) => (i === r.length - 1 ? c : (c ?? '').padEnd(widths[i]!))).join('  ').trimEnd());
}

/** `key: value` lines with the values aligned. */
export function keyValues(pairs: [string, Cell][]): string[] {
  const width = Math.max(0, ...pairs.map(([k]) => k.length)) + 1;
  return pairs.map(([k, v]) => `${`${k}:`.padEnd(width)} ${clean(v)}`);
}

/** What --json prints: the answer as the server gave it, indented for reading. */
export const prettyJson = (value: unknown): string => JSON.stringify(value, null, 2);

/** One field of a record as people read it: its label and how to show it. */
export type Field<T> = [string, (value: T) => Cell];

/**
 * A record as `key: value` lines: the known fields in reading order, then
 * any field a newer server adds (shown rather than hidden), except `hidden`
 * ones (a secret, printed apart with its warning).
 */
export function describe<T extends object>(value: T, fields: Field<T>[], hidden: string[] = []): string[] {
  const known = new Set([...fields.map(([k]) => k), ...hidden]);
  const extra = Object.entries(value)
    .filter(([k]) => !known.has(k))
    .map(([k, v]): [string, Cell] => [k, v === null || typeof v !== 'object' ? (v as Cell) : JSON.stringify(v)]);
  return keyValues([...fields.map(([k, f]): [string, Cell] => [k, f(value)]), ...extra]);
}

/** A list as one space-separated cell; empty or absent shows as `-`. */
export const joined = (v: readonly string[] | null | undefined): Cell => (v && v.length > 0 ? v.join(' ') : null);

/** A secret the server shows once, with the warning people need (the server keeps only a hash). */
export const secretLines = (label: string, secret: string): string[] =>
  ['', `${label}: ${secret}`, 'This secret is shown now and will not be shown again: store it somewhere safe.'];

/** Who did something (a client, a user, an anonymous caller), in one cell. */
export const actorCell = (a: { type: string; id?: string | null } | null | undefined): Cell => (a ? (a.id ? `${a.type} ${a.id}` : a.type) : null);
