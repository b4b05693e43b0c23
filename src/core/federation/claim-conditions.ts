/**
 * A trust policy's conditions on an external token's claims: every named
 * claim must match one of its accepted values. A value matches exactly, or
 * with `*` standing for any run of characters (`refs/heads/release/*`); an
 * array claim matches when one of its elements does. Only top-level claims
 * of string, number or boolean type are compared (as text); anything else,
 * or a missing claim, does not match.
 */

function globToRegExp(pattern: string): RegExp {
  const escaped = pattern.split('*').map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${escaped.join('[\\s\\S]*')}$`);
}

function valueMatches(value: string, accepted: readonly string[]): boolean {
  return accepted.some((a) => (a.includes('*') ? globToRegExp(a).test(value) : a === value));
}

function asText(v: unknown): string | null {
  if (typeof v === 'string') return v;
  if ((typeof v === 'number' && Number.isFinite(v)) || typeof v === 'boolean') return String(v);
  return null;
}

export function conditionsMatch(conditions: Readonly<Record<string, readonly string[]>>, claims: Record<string, unknown>): boolean {
  return Object.entries(conditions).every(([claim, accepted]) => {
    if (!Object.prototype.hasOwnProperty.call(claims, claim)) return false;
    const v = claims[claim];
    const values = Array.isArray(v) ? v.map(asText) : [asText(v)];
    return values.some((text) => text !== null && valueMatches(text, accepted));
  });
}
