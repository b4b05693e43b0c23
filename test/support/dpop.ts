/** A DPoP client's side, written with jose alone (RFC 9449 §4.2): a key pair and proofs made with it. */
import { createHash, randomUUID } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';

export interface DpopKey {
  alg: string;
  privateKey: CryptoKey;
  jwk: JWK;
  /** RFC 7638 thumbprint: what a bound token's cnf.jkt holds. */
  jkt: string;
}

export async function dpopKey(alg = 'ES256'): Promise<DpopKey> {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
  const jwk = await exportJWK(publicKey);
  return { alg, privateKey, jwk, jkt: await calculateJwkThumbprint(jwk) };
}

export interface ProofClaims {
  htm: string;
  htu: string;
  /** The access token this proof goes with (its hash becomes `ath`). */
  accessToken?: string;
  nonce?: string;
  /** Seconds; default now. */
  iat?: number;
  jti?: string;
  typ?: string;
  /** Header overrides (e.g. a private jwk). */
  header?: Record<string, unknown>;
  /** Claims to add or replace (e.g. a wrong ath). */
  extra?: Record<string, unknown>;
}

export function proof(key: DpopKey, c: ProofClaims): Promise<string> {
  const claims: Record<string, unknown> = {
    htm: c.htm,
    htu: c.htu,
    iat: c.iat ?? Math.floor(Date.now() / 1000),
    jti: c.jti ?? randomUUID(),
  };
  if (c.accessToken !== undefined) claims.ath = createHash('sha256').update(c.accessToken).digest('base64url');
  if (c.nonce !== undefined) claims.nonce = c.nonce;
  return new SignJWT({ ...claims, ...c.extra })
    .setProtectedHeader({ alg: key.alg, typ: c.typ ?? 'dpop+jwt', jwk: key.jwk, ...c.header })
    .sign(key.privateKey);
}
