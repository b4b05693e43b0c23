/**
 * JWK Sets of other parties (a client's keys, an external issuer's keys):
 * what a usable one looks like. Only public asymmetric keys: a set carrying
 * a private or symmetric key is refused whole (whoever published it has
 * leaked a secret, and nothing signed with it proves anything).
 */
import { z } from 'zod';

/** RFC 7518 §6 private members, and `k` (a symmetric key). */
const SECRET_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const;
const ASYMMETRIC_KTY = new Set(['RSA', 'EC', 'OKP']);

export const MAX_JWKS_KEYS = 100;

const Jwk = z
  .record(z.string(), z.unknown())
  .refine((k) => typeof k.kty === 'string' && ASYMMETRIC_KTY.has(k.kty), 'each key needs kty RSA, EC or OKP')
  .refine((k) => SECRET_MEMBERS.every((m) => !(m in k)), 'a key holds private or symmetric material: publish public keys only')
  .refine((k) => k.kid === undefined || (typeof k.kid === 'string' && k.kid.length <= 256), 'kid must be a string of at most 256 characters')
  .refine((k) => k.use === undefined || k.use === 'sig', 'use must be "sig" when given');

export const PublicJwksSchema = z.strictObject({
  keys: z.array(Jwk).min(1, 'needs at least one key').max(MAX_JWKS_KEYS, `at most ${MAX_JWKS_KEYS} keys`),
});
export type PublicJwks = z.infer<typeof PublicJwksSchema>;

/** For a fetched set: looser about extra top-level members, strict about the keys. */
const FetchedJwksSchema = z.object({ keys: PublicJwksSchema.shape.keys });

export function parseFetchedJwks(data: unknown): { ok: true; jwks: PublicJwks } | { ok: false; problem: string } {
  const parsed = FetchedJwksSchema.safeParse(data);
  if (parsed.success) return { ok: true, jwks: { keys: parsed.data.keys } };
  return { ok: false, problem: parsed.error.issues[0]?.message ?? 'not a JWK Set' };
}
