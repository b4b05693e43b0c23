/**
 * What a client may look like, shared by the admin API and the bootstrap
 * file so both validate the same way.
 */
import { z } from 'zod';
import { isScopeToken } from '../scopes.js';
import { PublicJwksSchema } from '../jwks/public-jwks.js';
import { outboundUrlProblem } from '../jwks/outbound-url.js';

export const GRANT_TYPES = [
  'client_credentials',
  'authorization_code',
  'refresh_token',
  'urn:ietf:params:oauth:grant-type:token-exchange',
  'urn:ietf:params:oauth:grant-type:jwt-bearer',
] as const;

/** RFC 7591 §2 / the IANA registry's names; client_secret_jwt is not offered (it would sign with a shared secret). */
export const TOKEN_ENDPOINT_AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none'] as const;

/** A URL Tessera will fetch keys from (src/core/jwks/outbound-url.ts). */
export const FetchableUrl = z.string().max(2000).superRefine((v, ctx) => {
  const problem = outboundUrlProblem(v);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

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
  token_endpoint_auth_method: z.enum(TOKEN_ENDPOINT_AUTH_METHODS),
  jwks: PublicJwksSchema.nullable(),
  jwks_uri: FetchableUrl.nullable(),
  dpop_bound_access_tokens: z.boolean(),
};

const ClientFieldsObject = z.strictObject(ClientFields);

/** Every field optional; a client_id may be chosen, else one is generated. */
export const ClientCreateSchema = ClientFieldsObject.partial().extend({ client_id: clientId.optional() });
export type ClientCreateInput = z.infer<typeof ClientCreateSchema>;

/** What may change after creation: not the id, not `public`, and the secret only by rotation. */
export const ClientUpdateSchema = ClientFieldsObject.omit({ public: true, client_secret: true }).partial();
export type ClientUpdateInput = z.infer<typeof ClientUpdateSchema>;

export { clientId as ClientIdSchema };
