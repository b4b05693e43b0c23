// The median of the numbers in a list of per-round figures; a figure a round
// could not measure (null, undefined, NaN) is left out, and a list with none
// has no median (null).
export function median(xs) {
  const s = xs.filter((x) => typeof x === 'number' && !Number.isNaN(x)).sort((a, b) => a - b);
  if (!s.length) return null;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
