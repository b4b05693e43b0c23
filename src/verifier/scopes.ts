/** RFC 6749 §3.3: a scope value is a space-separated list of case-sensitive scope tokens. */

export function parseScope(scope: string | undefined): Set<string> {
  return new Set((scope ?? '').split(' ').filter(Boolean));
}

/** Every needed scope the granted ones lack (all are needed, none is enough alone). */
export function missingScopes(needed: readonly string[], granted: string | undefined): string[] {
  const have = parseScope(granted);
  return needed.filter((s) => !have.has(s));
}
