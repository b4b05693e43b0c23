/** What an API token request may look like (admin API and self-service). */
import { z } from 'zod';
import { isScopeToken } from '../scopes.js';
import { allowsEveryAddress, isCidr } from './ip-allowlist.js';

export const MAX_GRACE_SECONDS = 30 * 86_400;

const scope = z.string().refine(isScopeToken, 'must be a scope token (RFC 6749 §3.3)');
const cidr = z.string().max(64)
  .refine(isCidr, 'must be an IPv4 or IPv6 address or CIDR, e.g. 10.0.0.0/8 or 2001:db8::/32')
  .refine((v) => !allowsEveryAddress(v), 'allows every address, which is no limit at all: omit allowed_ips to let the token be used from anywhere');

const TokenFields = {
  name: z.string().min(1).max(100),
  description: z.string().max(500).nullable().optional(),
  scopes: z.array(scope).min(1).max(100),
  expires_in: z.number().int().min(60, 'must be at least 60 seconds').optional(),
  expires_at: z.iso.datetime({ offset: true, message: 'must be an RFC 3339 date-time' }).optional(),
  allowed_ips: z.array(cidr).min(1).max(100).nullable().optional(),
  rate_limit: z
    .strictObject({ requests: z.number().int().min(1).max(1_000_000), per_seconds: z.number().int().min(1).max(86_400) })
    .nullable()
    .optional(),
};

const oneExpiry = (v: { expires_in?: number | undefined; expires_at?: string | undefined }) => v.expires_in === undefined || v.expires_at === undefined;
const ONE_EXPIRY = { message: 'give expires_in or expires_at, not both', path: ['expires_in'] };

/** Self-service: the owner is the caller. */
export const OwnApiTokenCreateSchema = z.strictObject(TokenFields).refine(oneExpiry, ONE_EXPIRY);
/** Admin: for any user, by id or username. */
export const ApiTokenCreateSchema = z.strictObject({ user: z.string().min(1).max(200), ...TokenFields }).refine(oneExpiry, ONE_EXPIRY);
export type ApiTokenCreateInput = z.infer<typeof OwnApiTokenCreateSchema>;

export const ApiTokenRotateSchema = z.strictObject({ grace_period: z.number().int().min(0).max(MAX_GRACE_SECONDS).optional() });
export const ApiTokenRevokeSchema = z.strictObject({ reason: z.string().max(500).optional() });

const seconds = z.string().regex(/^\d{1,10}$/, 'must be a whole number of seconds').transform(Number);
/** List filters from the query string. */
export const API_TOKEN_SORTS = ['created_at', 'expires_at', 'last_used_at', 'name'] as const;
export const ApiTokenListQuery = z.object({
  user: z.string().min(1).max(200).optional(),
  active: z.enum(['true', 'false']).transform((v) => v === 'true').optional(),
  status: z.enum(['active', 'expired', 'revoked']).optional(),
  expiring_within: seconds.optional(),
  unused_for: seconds.optional(),
  q: z.string().min(1).max(100).optional(),
  sort: z.enum(API_TOKEN_SORTS).optional(),
  order: z.enum(['asc', 'desc']).optional(),
});
export type ApiTokenListFilter = z.infer<typeof ApiTokenListQuery>;
