/**
 * UUIDs (family ids, access-token jtis) in their 22-character form: the 16
 * bytes, base64url. Key names and fields hold this form to save bytes per
 * live token; anything that is not a UUID in its canonical lower-case text
 * (RFC 9562 §4: 8-4-4-4-12 hex digits) is kept as it is. Every rotation
 * converts two ids, so the check and the conversion are one pass over the
 * characters, with no regular expression and no hex string in between.
 */
import { uuidText } from '../../core/ids/uuid-text.js';

/** The value of a lower-case hex digit's character code; -1 for anything else. */
function nibble(code: number): number {
  if (code >= 48 && code <= 57) return code - 48; // 0-9
  if (code >= 97 && code <= 102) return code - 87; // a-f
  return -1;
}

/** The 16 bytes of a canonical lower-case UUID; null for anything else (upper-case digits included, as the store always had it). */
export function uuidBytes(id: string): Buffer | null {
  if (id.length !== 36) return null;
  const out = Buffer.allocUnsafe(16);
  let at = 0;
  for (let i = 0; i < 36;) {
    if (i === 8 || i === 13 || i === 18 || i === 23) {
      if (id.charCodeAt(i) !== 45) return null; // '-'
      i += 1;
      continue;
    }
    // The groups (8, 4, 4, 4, 12 digits) are all of even length, so a byte never spans a hyphen.
    const hi = nibble(id.charCodeAt(i));
    const lo = nibble(id.charCodeAt(i + 1));
    if (hi < 0 || lo < 0) return null;
    out[at++] = (hi << 4) | lo;
    i += 2;
  }
  return out;
}

/** Whether `id` is a canonical lower-case UUID (the ids compactId() shortens). */
export function isUuid(id: string): boolean {
  return uuidBytes(id) !== null;
}

/** A UUID as 22 base64url characters (its 16 bytes); anything else as it is. */
export function compactId(id: string): string {
  const bytes = uuidBytes(id);
  return bytes === null ? id : bytes.toString('base64url');
}

/** The UUID of a 22-character form (compactId()'s inverse). */
export function uuidOf(compact: string): string {
  return uuidText(Buffer.from(compact, 'base64url'));
}
