/**
 * What an audit event may keep of an identifier someone only claimed (the
 * `client_id` of a failed client authentication, the username of a failed
 * login): the identifier itself when it names an existing client or user;
 * otherwise a fingerprint. People type secrets into name fields (a client
 * secret as client_id, a live `tsp_` token, a password as the username), and
 * the audit log is listed, exported and kept for months, so what nobody is
 * known by is never stored, not even as a plain hash a dictionary reverses.
 *
 * The fingerprint is an HMAC-SHA256 under a key kept in the store (created
 * once per deployment, shared by every instance), truncated to 96 bits:
 * the same claim gives the same fingerprint, so repeated attempts can be
 * counted and correlated, and without the key nothing can be tested against it.
 */
import { createHmac } from 'node:crypto';

/** A Tessera opaque token (contract "Tokens"), or something that starts like one: never kept, even if it names someone. */
const TOKEN_SHAPED = /ts[pr]_[0-9A-Za-z]{20,}/;

export class ClaimedIdentifiers {
  constructor(private readonly key: Buffer) {}

  /** `fp_` and 16 base64url characters of HMAC-SHA256(key, value). */
  fingerprint(value: string): string {
    return `fp_${createHmac('sha256', this.key).update(value, 'utf8').digest('base64url').slice(0, 16)}`;
  }

  /** The identifier when `known` (it names an existing client or user) and not shaped like a token; its fingerprint otherwise. */
  safe(value: string, known: boolean): { value: string | null; fingerprint: string | null } {
    if (known && !TOKEN_SHAPED.test(value)) return { value, fingerprint: null };
    return { value: null, fingerprint: this.fingerprint(value) };
  }
}
