/**
 * What a client may look like, shared by the admin API and the bootstrap
 * file so both validate the same way.
 */
import { z } from 'zod';
import { isScopeToken } from '../scopes.js';

export const GRANT_TYPES = [
  'client_credentials',
  'authorization_code',
  'refresh_token',
  'urn:ietf:params:oauth:grant-type:token-exchange',
] as const;

const clientId = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._~:-]{0,127}$/, 'must be 1-128 characters of A-Z a-z 0-9 . _ ~ : - starting with a letter or digit');

const scope = z.string().refine(isScopeToken, 'must be a scope token (RFC 6749 §3.3: no spaces, quotes or backslashes)');

/** RFC 8707 §2 and RFC 6749 §3.1.2: an absolute URI with no fragment. */
const absoluteUri = z.string().max(2000).refine((v) => {
  if (!URL.canParse(v) || v.includes('#')) return false;
  return /^[a-z][a-z0-9+.-]*:/i.test(v);
}, 'must be an absolute URI with no fragment');

export const ClientFields = {
  name: z.string().min(1).max(200),
  public: z.boolean(),
  grant_types: z.array(z.enum(GRANT_TYPES)).min(1).max(GRANT_TYPES.length),
  scopes: z.array(scope).max(200),
  default_scopes: z.array(scope).max(200).nullable(),
  audiences: z.array(absoluteUri).max(50),
  redirect_uris: z.array(absoluteUri).max(50),
  third_party: z.boolean(),
  always_issue_refresh_token: z.boolean(),
  client_secret: z.string().min(16, 'must be at least 16 characters').max(512),
};

const ClientFieldsObject = z.strictObject(ClientFields);

/** Every field optional; a client_id may be chosen, else one is generated. */
export const ClientCreateSchema = ClientFieldsObject.partial().extend({ client_id: clientId.optional() });
export type ClientCreateInput = z.infer<typeof ClientCreateSchema>;

/** What may change after creation: not the id, not `public`, and the secret only by rotation. */
export const ClientUpdateSchema = ClientFieldsObject.omit({ public: true, client_secret: true }).partial();
export type ClientUpdateInput = z.infer<typeof ClientUpdateSchema>;

export { clientId as ClientIdSchema };
