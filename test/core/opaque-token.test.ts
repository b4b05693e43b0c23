import { crc32 } from 'node:zlib';
import { BASE62, checksum, findOpaqueTokens, generateOpaqueToken, parseOpaqueToken } from '../../src/core/tokens/opaque-token.js';

function base62BigEndian(n: number): string {
  let s = '';
  do { s = BASE62[n % 62] + s; n = Math.floor(n / 62); } while (n > 0);
  return s.padStart(6, '0');
}

describe('opaque tokens (contract format)', () => {
  test.each([['refresh', 'tsr_'], ['api', 'tsp_']] as const)('a %s token is %s + 32 base62 + 6 base62 of CRC32', (kind, prefix) => {
    const t = generateOpaqueToken(kind);
    expect(t).toMatch(new RegExp(`^${prefix}[0-9A-Za-z]{38}$`));
    const body = t.slice(0, 36);
    expect(t.slice(36)).toBe(base62BigEndian(crc32(body) >>> 0));
    expect(parseOpaqueToken(t)).toBe(kind);
  });

  test('the checksum is CRC32 IEEE, big-endian base62, left-padded with 0', () => {
    // crc32("tsp_") computed independently: 0 pads to 6 characters.
    expect(checksum('')).toBe('000000');
    expect(checksum('tsp_' + 'a'.repeat(32))).toBe(base62BigEndian(crc32('tsp_' + 'a'.repeat(32)) >>> 0));
    expect(base62BigEndian(0xffffffff)).toBe('4gfFC3');
  });

  test('a wrong checksum, prefix, length or alphabet is rejected', () => {
    const t = generateOpaqueToken('api');
    const flipped = t.slice(0, -1) + (t.endsWith('0') ? '1' : '0');
    expect(parseOpaqueToken(flipped)).toBeNull();
    expect(parseOpaqueToken('tsx_' + t.slice(4))).toBeNull();
    expect(parseOpaqueToken(t + 'a')).toBeNull();
    expect(parseOpaqueToken(t.slice(0, 20) + '-' + t.slice(21))).toBeNull();
    expect(parseOpaqueToken('')).toBeNull();
  });

  test('a changed random character breaks the checksum', () => {
    const t = generateOpaqueToken('refresh');
    const c = t[10] === 'a' ? 'b' : 'a';
    expect(parseOpaqueToken(t.slice(0, 10) + c + t.slice(11))).toBeNull();
  });

  test('tokens do not repeat and use the whole alphabet', () => {
    const seen = new Set<string>();
    const chars = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const t = generateOpaqueToken('api');
      seen.add(t);
      for (const ch of t.slice(4, 36)) chars.add(ch);
    }
    expect(seen.size).toBe(2000);
    expect(chars.size).toBe(62);
  });

  test('every base62 character is about equally likely (no modulo bias, also across refills of the random pool)', () => {
    const counts = new Map<string, number>();
    const tokens = 3000;
    for (let i = 0; i < tokens; i++) {
      for (const ch of generateOpaqueToken('refresh').slice(4, 36)) counts.set(ch, (counts.get(ch) ?? 0) + 1);
    }
    // 1,548 expected each, standard deviation about 39: byte % 62 without rejection would give 0-7 about 25% more.
    const expected = (tokens * 32) / 62;
    for (const ch of BASE62) {
      expect(Math.abs(counts.get(ch)! - expected) / expected).toBeLessThan(0.12);
    }
  });

  test('findOpaqueTokens finds only correctly checksummed tokens in text', () => {
    const good = generateOpaqueToken('api');
    const bad = good.slice(0, -1) + (good.endsWith('0') ? '1' : '0');
    const text = `key=${good}\nother=${bad} and x${good}y`;
    expect(findOpaqueTokens(text)).toEqual([good]);
  });
});
