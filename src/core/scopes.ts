/**
 * Scope strings (RFC 6749 §3.3): space-delimited, case-sensitive tokens of
 * NQCHAR without space, order irrelevant.
 */
import { InvalidScopeError } from './errors.js';

const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

export function isScopeToken(s: string): boolean {
  return SCOPE_TOKEN.test(s);
}

/** Parses a `scope` parameter; an empty or absent one is null. Throws invalid_scope on bad characters. */
export function parseScopeParam(value: string | undefined): string[] | null {
  if (value === undefined) return null;
  const tokens = value.split(' ').filter((t) => t.length > 0);
  if (tokens.length === 0) return null;
  for (const t of tokens) {
    if (!isScopeToken(t)) throw new InvalidScopeError('scope contains a character RFC 6749 §3.3 does not allow');
  }
  return [...new Set(tokens)];
}

export function formatScope(scopes: readonly string[]): string {
  return scopes.join(' ');
}

/** Scopes of `requested` missing from `allowed`. */
export function scopesOutside(requested: readonly string[], allowed: readonly string[]): string[] {
  const set = new Set(allowed);
  return requested.filter((s) => !set.has(s));
}
