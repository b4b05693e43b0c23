/**
 * A UUID's canonical text (RFC 9562 §4: 8-4-4-4-12 lower-case hex digits)
 * from its 16 bytes: how a refresh family's id is written from the hash it
 * is made of, and how the store turns an id kept in its 22-character form
 * back into the id.
 */
export function uuidText(bytes: Uint8Array): string {
  // Never past the view: a pooled buffer's backing store holds other data after it.
  const hex = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(16, bytes.byteLength)).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}
