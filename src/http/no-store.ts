/** RFC 6749 §5.1: answers that carry tokens or secrets are never cached. */
export const NO_STORE = Object.freeze({ 'Cache-Control': 'no-store', Pragma: 'no-cache' });
