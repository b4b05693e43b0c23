/**
 * Durations in configuration: a whole number with a unit, `s`, `m`, `h` or
 * `d` (`30d`, `12h`, `90s`), or a bare whole number of seconds.
 */
const UNIT_SECONDS = { s: 1, m: 60, h: 3600, d: 86_400 } as const;

/** Seconds, or null when `text` is not a duration. */
export function parseDurationSeconds(text: string): number | null {
  const m = /^(\d{1,9})\s*([smhd]?)$/.exec(text.trim());
  if (!m) return null;
  return Number(m[1]) * UNIT_SECONDS[(m[2] || 's') as keyof typeof UNIT_SECONDS];
}
