/**
 * What a trust policy may look like, shared by the admin API, the
 * bootstrap file and the CLI's offline check, so all validate the same way.
 */
import { z } from 'zod';
import { ClientIdSchema, FetchableUrl } from '../clients/client-input.js';
import { PublicJwksSchema } from '../jwks/public-jwks.js';
import { isScopeToken } from '../scopes.js';
import { TEMPLATE_PROBLEM, templateProblem } from './subject-template.js';

export const TrustPolicyIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._~:-]{0,127}$/, 'must be 1-128 characters of A-Z a-z 0-9 . _ ~ : - starting with a letter or digit');

/** Claims a condition may not name: `iss` is the policy's issuer, `aud` its audiences, and time is checked by the grant. */
const RESERVED_CLAIMS = new Set(['iss', 'aud', 'exp', 'iat', 'nbf', 'jti']);
const CLAIM_NAME = /^[A-Za-z0-9_.:/-]{1,100}$/;
const conditionValue = z.string().min(1).max(500);

const scope = z.string().refine(isScopeToken, 'must be a scope token (RFC 6749 §3.3)');

export const TrustPolicyFields = {
  description: z.string().max(500),
  jwks_uri: FetchableUrl.nullable(),
  jwks: PublicJwksSchema.nullable(),
  audiences: z.array(z.string().min(1).max(2000)).min(1, 'needs at least one audience').max(20),
  /** A value or a list of accepted values per claim; `*` in a value matches any run of characters. */
  conditions: z
    .record(z.string(), z.union([conditionValue, z.array(conditionValue).min(1).max(50)]))
    // Checked here rather than on the record's keys, so the message names the rule (zod reports key failures generically).
    .superRefine((c, ctx) => {
      for (const claim of Object.keys(c)) {
        if (!CLAIM_NAME.test(claim)) ctx.addIssue({ code: 'custom', path: [claim], message: 'a claim name is 1-100 characters of A-Z a-z 0-9 _ . : / -' });
        else if (RESERVED_CLAIMS.has(claim)) ctx.addIssue({ code: 'custom', path: [claim], message: 'iss, aud, exp, iat, nbf and jti are checked by the policy itself, not by conditions' });
      }
    })
    .refine((c) => Object.keys(c).length >= 1, 'needs at least one condition: without one every token of the issuer would do (for GitHub: every repository in the world)')
    .refine((c) => Object.keys(c).length <= 20, 'at most 20 conditions')
    .transform((c) => Object.fromEntries(Object.entries(c).map(([k, v]) => [k, Array.isArray(v) ? [...new Set(v)] : [v]]))),
  client_id: ClientIdSchema,
  subject: z.string().min(1).max(256).superRefine((t, ctx) => {
    const problem = templateProblem(t);
    if (problem) ctx.addIssue({ code: 'custom', message: `${TEMPLATE_PROBLEM}: ${problem}` });
  }),
  scopes: z.array(scope).max(200),
  max_token_lifetime: z.number().int().min(60).max(86_400),
};

const issuer = z.string().min(1).max(2000);

const FieldsObject = z.strictObject(TrustPolicyFields);

export const TrustPolicyCreateSchema = FieldsObject.partial({
  description: true, jwks_uri: true, jwks: true, subject: true, scopes: true, max_token_lifetime: true,
}).extend({ id: TrustPolicyIdSchema, issuer });
export type TrustPolicyCreateInput = z.infer<typeof TrustPolicyCreateSchema>;

/** What may change: everything but the id and the issuer (a policy for another issuer is another policy). */
export const TrustPolicyUpdateSchema = FieldsObject.partial();
export type TrustPolicyUpdateInput = z.infer<typeof TrustPolicyUpdateSchema>;
