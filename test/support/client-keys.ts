/** A private_key_jwt client's side, with jose alone: a key pair, its public JWK Set, and client assertions (RFC 7523 §2.2). */
import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';

export interface ClientKey {
  alg: string;
  kid: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
}

export async function clientKey(alg = 'ES256', kid = `k-${randomUUID().slice(0, 8)}`): Promise<ClientKey> {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  return { alg, kid, privateKey, publicJwk };
}

export const jwksOf = (...keys: ClientKey[]) => ({ keys: keys.map((k) => k.publicJwk) });

export interface AssertionClaims {
  clientId: string;
  aud: string | string[];
  /** Seconds from now; default 60. */
  expiresIn?: number;
  /** Seconds; default now. */
  iat?: number;
  jti?: string | null;
  iss?: string;
  sub?: string;
  header?: Record<string, unknown>;
}

export function assertion(key: ClientKey, c: AssertionClaims): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const iat = c.iat ?? now;
  const claims: Record<string, unknown> = { iss: c.iss ?? c.clientId, sub: c.sub ?? c.clientId, aud: c.aud, iat, exp: iat + (c.expiresIn ?? 60) };
  if (c.jti !== null) claims.jti = c.jti ?? randomUUID();
  return new SignJWT(claims).setProtectedHeader({ alg: key.alg, kid: key.kid, ...c.header }).sign(key.privateKey);
}
