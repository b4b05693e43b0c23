/**
 * Which URLs Tessera fetches keys and discovery documents from. Only an
 * administrator ever names one (a client's `jwks_uri`, a trust policy's
 * issuer or `jwks_uri`); nothing a caller sends chooses where Tessera
 * connects (no `jku`, `x5u` or unknown issuer is ever followed). Still,
 * plain http would let anyone on the path swap the keys, so it is allowed
 * only to this machine (loopback), which is what tests and local issuers use.
 */
import { isIP } from 'node:net';

const LOOPBACK_NAMES = new Set(['localhost', 'localhost.']);

export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  if (LOOPBACK_NAMES.has(host)) return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  if (isIP(host) === 6) return host === '::1' || host === '0:0:0:0:0:0:0:1';
  return false;
}

/** Why `value` may not be fetched from, or null when it may: https, or http to loopback; no credentials or fragment. */
export function outboundUrlProblem(value: string): string | null {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'must be an absolute URL';
  }
  if (url.username || url.password) return 'must not carry credentials';
  if (value.includes('#')) return 'must not have a fragment';
  if (url.protocol === 'https:') return null;
  if (url.protocol === 'http:' && isLoopbackHost(url.hostname)) return null;
  return 'must be an https:// URL (http:// only to localhost/127.0.0.1/::1)';
}
