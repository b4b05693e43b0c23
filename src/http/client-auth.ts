/**
 * How the client authenticates at the token, revocation and introspection
 * endpoints: `client_secret_basic` (RFC 6749 §2.3.1, each part
 * form-urlencoded inside Basic), `client_secret_post`, `private_key_jwt`
 * (RFC 7523 §2.2, a signed client assertion), or a public client naming
 * itself with `client_id`. Using two methods at once is
 * `invalid_request` (RFC 6749 §2.3: "MUST NOT use more than one").
 */
import type { IncomingHttpHeaders } from 'node:http';
import { InvalidClientError, InvalidRequestError } from '../core/errors.js';
import type { PresentedClient } from '../core/clients/client-service.js';
import { decodeJwt } from 'jose';
import { CLIENT_ASSERTION_TYPE } from '../core/clients/client-assertions.js';
import { looksLikeJws } from '../core/assertions/jwt-assertion.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

function formDecode(part: string): string {
  // A generated client id or secret (base64url) has neither: nothing to decode, and no copy made.
  if (!part.includes('%') && !part.includes('+')) return part;
  return decodeURIComponent(part.replace(/\+/g, '%20'));
}

function parseBasic(header: string): { clientId: string; secret: string } {
  const m = /^Basic[ ]+([A-Za-z0-9+/]+={0,2})[ ]*$/i.exec(header);
  if (!m) throw new InvalidClientError('the Authorization header is not valid Basic credentials');
  try {
    const decoded = utf8.decode(Buffer.from(m[1]!, 'base64'));
    const colon = decoded.indexOf(':');
    if (colon < 1) throw new Error('no colon');
    return { clientId: formDecode(decoded.slice(0, colon)), secret: formDecode(decoded.slice(colon + 1)) };
  } catch {
    throw new InvalidClientError('the Authorization header is not valid Basic credentials');
  }
}

/**
 * RFC 7521 §4.2 / RFC 7523 §2.2: `client_assertion_type` and
 * `client_assertion` together; `client_id` is optional and, when sent, must
 * be the assertion's subject. Without it the client is looked up by the
 * assertion's (not yet verified) `sub`; the verification that follows
 * checks `iss` and `sub` against that client.
 */
function assertionClient(params: Record<string, string>): PresentedClient {
  const { client_assertion: assertion, client_assertion_type: type } = params;
  if (assertion === undefined || type === undefined) throw new InvalidRequestError('send client_assertion and client_assertion_type together');
  if (type !== CLIENT_ASSERTION_TYPE) throw new InvalidRequestError(`client_assertion_type must be ${CLIENT_ASSERTION_TYPE}`);
  if (params.client_secret !== undefined) throw new InvalidRequestError('use one client authentication method, not both client_assertion and client_secret');
  let subject: unknown;
  try {
    subject = looksLikeJws(assertion) ? decodeJwt(assertion).sub : undefined;
  } catch {
    subject = undefined;
  }
  // Not even decodable: it names no client, and fails (counted, audited) as an unknown one.
  if (typeof subject !== 'string') subject = '';
  if (params.client_id !== undefined && params.client_id !== subject) {
    throw new InvalidRequestError('client_id does not match the client_assertion\'s sub');
  }
  return { method: 'private_key_jwt', clientId: subject as string, secret: null, assertion };
}

/**
 * `anonymous`: the request may carry no client credentials at all (the JWT
 * bearer grant, whose assertion is the credential); it is then presented as
 * method `none` with no client id.
 */
export function presentedClient(req: { readonly headers: IncomingHttpHeaders }, params: Record<string, string>, anonymous = false): PresentedClient {
  const header = req.headers.authorization;
  if (params.client_assertion !== undefined || params.client_assertion_type !== undefined) {
    if (header !== undefined) throw new InvalidRequestError('use one client authentication method, not both Basic and client_assertion');
    return assertionClient(params);
  }
  if (header !== undefined) {
    const basic = parseBasic(header);
    if (params.client_secret !== undefined) {
      throw new InvalidRequestError('use one client authentication method, not both Basic and client_secret');
    }
    if (params.client_id !== undefined && params.client_id !== basic.clientId) {
      throw new InvalidRequestError('client_id does not match the Basic credentials');
    }
    return { method: 'client_secret_basic', clientId: basic.clientId, secret: basic.secret };
  }
  if (params.client_id === undefined) {
    if (anonymous && params.client_secret === undefined) return { method: 'none', clientId: '', secret: null };
    throw new InvalidClientError('client authentication is required');
  }
  if (params.client_secret !== undefined) {
    return { method: 'client_secret_post', clientId: params.client_id, secret: params.client_secret };
  }
  return { method: 'none', clientId: params.client_id, secret: null };
}
