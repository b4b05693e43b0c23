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
  return String(value).replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => (c === '\t' ? ' ' : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`));
}

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
