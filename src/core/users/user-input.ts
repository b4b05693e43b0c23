/** What a user and a role may look like (admin API and bootstrap file). */
import { z } from 'zod';
import { isScopeToken } from '../scopes.js';

export const NameSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/, 'must be 1-64 characters of A-Z a-z 0-9 . _ @ - starting with a letter or digit');
export const PasswordSchema = z.string().min(8, 'must be at least 8 characters').max(1024);
const scope = z.string().refine(isScopeToken, 'must be a scope token (RFC 6749 §3.3)');

export const UserCreateSchema = z.strictObject({
  username: NameSchema,
  password: PasswordSchema,
  roles: z.array(NameSchema).max(100).optional(),
  disabled: z.boolean().optional(),
});
export type UserCreateInput = z.infer<typeof UserCreateSchema>;

export const UserUpdateSchema = z.strictObject({
  username: NameSchema.optional(),
  password: PasswordSchema.optional(),
  roles: z.array(NameSchema).max(100).optional(),
  disabled: z.boolean().optional(),
});
export type UserUpdateInput = z.infer<typeof UserUpdateSchema>;

export const RolePutSchema = z.strictObject({ scopes: z.array(scope).max(200) });
