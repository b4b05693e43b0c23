/**
 * The signing algorithms Tessera generates keys for, and the check that a
 * key loaded from disk really is of the kind its file claims (a file edited
 * by hand must fail at start-up, not at the first token).
 */
import { generateKeyPair, type KeyObject } from 'node:crypto';
import type { SigningAlg } from './types.js';

/**
 * RSA keys are 2048-bit: RFC 7518 §3.3/§3.5 require at least that, NIST
 * SP 800-57 deems it adequate through 2030, and keys here rotate, so nobody
 * relies on one for long. Larger moduli cost several times the CPU per
 * signature (roughly cubic in the modulus size) on the token hot path;
 * deployments wanting more strength should choose EdDSA or ES256 instead.
 */
export const RSA_MODULUS_BITS = 2048;

export interface KeyPair {
  publicKey: KeyObject;
  privateKey: KeyObject;
}

function done(resolve: (p: KeyPair) => void, reject: (e: unknown) => void) {
  return (err: Error | null, publicKey: KeyObject, privateKey: KeyObject) =>
    err ? reject(err) : resolve({ publicKey, privateKey });
}

/** A fresh key pair for `alg`, generated off the event loop (RSA takes tens of milliseconds). */
export function generateKeyPairFor(alg: SigningAlg): Promise<KeyPair> {
  return new Promise((resolve, reject) => {
    switch (alg) {
      case 'EdDSA':
        generateKeyPair('ed25519', undefined, done(resolve, reject));
        return;
      case 'ES256':
        generateKeyPair('ec', { namedCurve: 'P-256' }, done(resolve, reject));
        return;
      case 'RS256':
      case 'PS256':
        // Plain `rsa` keys for PS256 too: they sign PSS fine, and `rsa-pss`
        // keys cannot be exported as a JWK by node:crypto.
        generateKeyPair('rsa', { modulusLength: RSA_MODULUS_BITS, publicExponent: 0x10001 }, done(resolve, reject));
        return;
    }
  });
}

/** Why `key` cannot sign with `alg`, or null when it can. */
export function keyMismatch(key: KeyObject, alg: SigningAlg): string | null {
  const type = key.asymmetricKeyType;
  switch (alg) {
    case 'EdDSA':
      return type === 'ed25519' ? null : `alg EdDSA needs an Ed25519 key, found ${type ?? 'a symmetric key'}`;
    case 'ES256':
      return type === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1'
        ? null
        : `alg ES256 needs a P-256 EC key, found ${type ?? 'a symmetric key'}`;
    case 'RS256':
    case 'PS256': {
      if (type !== 'rsa') return `alg ${alg} needs an RSA key, found ${type ?? 'a symmetric key'}`;
      const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
      return bits >= RSA_MODULUS_BITS ? null : `alg ${alg} needs an RSA key of at least ${RSA_MODULUS_BITS} bits, found ${bits}`;
    }
  }
}
