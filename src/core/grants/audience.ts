/**
 * The `aud` of an access token: the RFC 8707 `resource` values asked for,
 * each of which must be one of the client's audiences; else the client's
 * audiences; else this server itself (so tokens for the admin API name it).
 */
import { InvalidTargetError } from '../errors.js';
import type { ClientRecord } from '../../store/store.js';

export function resolveAudience(client: ClientRecord, resources: readonly string[], issuer: string): string[] {
  const allowed = client.audiences.length ? client.audiences : [issuer];
  if (resources.length === 0) return [...allowed];
  for (const r of resources) {
    // RFC 8707 §2: an absolute URI with no fragment.
    if (!URL.canParse(r) || r.includes('#')) throw new InvalidTargetError('resource must be an absolute URI with no fragment');
    if (!allowed.includes(r)) throw new InvalidTargetError('resource is not an audience this client may ask for');
  }
  return [...new Set(resources)];
}
