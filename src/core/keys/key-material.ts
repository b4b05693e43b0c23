/**
 * Turning key files into usable keys and back: decrypting PKCS#8 PEM,
 * deriving the public JWK and its RFC 7638 thumbprint (the kid), and making
 * a fresh key file. All cryptography is node:crypto and jose.
 */
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, type JWK } from 'jose';
import { ConfigError } from '../errors.js';
import { generateKeyPairFor, keyMismatch } from './algorithms.js';
import { readKeyFiles, type KeyFileEntry } from './key-dir.js';
import { KEY_FILE_VERSION, type KeyFile } from './key-file.js';
import type { SigningAlg } from './types.js';

/** What the decrypted private key yields; cached so reloads do not redo PBKDF2 and thumbprints. */
export interface KeyMaterial {
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** Public members only (kty, crv, x, y, n, e). */
  publicJwk: JWK;
}

export interface LoadedKey extends KeyMaterial {
  file: KeyFile;
  createdAt: number;
  activatedAt: number | null;
  retiredAt: number | null;
}

export type MaterialCache = Map<string, KeyMaterial>;

/** An empty passphrase protects nothing; treat it as none rather than "encrypt with ''". */
export function normalisePassphrase(p: string | null | undefined): string | undefined {
  return p ? p : undefined;
}

const PUBLIC_MEMBERS = ['kty', 'crv', 'x', 'y', 'n', 'e'] as const;

/** Whitelists public members, so a private one can never reach the JWKS whatever the key type. */
async function publicJwkOf(publicKey: KeyObject): Promise<JWK> {
  const full = await exportJWK(publicKey);
  const jwk: JWK = {};
  for (const m of PUBLIC_MEMBERS) if (full[m] !== undefined) jwk[m] = full[m];
  return jwk;
}

/** The kid: base64url SHA-256 RFC 7638 thumbprint of the public JWK. */
function thumbprint(jwk: JWK): Promise<string> {
  return calculateJwkThumbprint(jwk, 'sha256');
}

function decryptPrivateKey(file: KeyFile, path: string, passphrase: string | undefined): KeyObject {
  if (file.encrypted && passphrase === undefined) {
    throw new ConfigError([`key file ${path} is encrypted: set TESSERA_KEYS_PASSPHRASE to the passphrase it was written with`]);
  }
  try {
    return createPrivateKey({ key: file.private_key, format: 'pem', ...(file.encrypted ? { passphrase } : {}) });
  } catch {
    throw new ConfigError([
      file.encrypted
        ? `TESSERA_KEYS_PASSPHRASE does not decrypt key file ${path} (wrong passphrase?)`
        : `key file ${path}: private_key is not a readable PKCS#8 PEM private key`,
    ]);
  }
}

async function materialOf(file: KeyFile, path: string, passphrase: string | undefined): Promise<KeyMaterial> {
  const privateKey = decryptPrivateKey(file, path, passphrase);
  const mismatch = keyMismatch(privateKey, file.alg);
  if (mismatch) throw new ConfigError([`key file ${path}: ${mismatch}`]);
  const publicKey = createPublicKey(privateKey);
  const publicJwk = await publicJwkOf(publicKey);
  // A kid that is not the key's thumbprint means a file was copied or edited
  // by hand; verifiers would look up the wrong key, so refuse it now.
  const expected = await thumbprint(publicJwk);
  if (expected !== file.kid) throw new ConfigError([`key file ${path}: kid is not the key's RFC 7638 thumbprint (${expected})`]);
  return { privateKey, publicKey, publicJwk };
}

function ms(iso: string | null): number | null {
  return iso === null ? null : Date.parse(iso);
}

/** kid and alg are part of the key so that the thumbprint and type checks are never skipped for a changed file. */
function cacheKey(file: KeyFile): string {
  return `${file.kid}\n${file.alg}\n${file.private_key}`;
}

/**
 * Reads, decrypts and checks every key in `dir`. `cache`
 * is read from and, on success, replaced with exactly the keys now present.
 */
export async function loadKeyDir(dir: string, passphrase: string | undefined, cache?: MaterialCache): Promise<LoadedKey[]> {
  return loadKeys(await readKeyFiles(dir), passphrase, cache);
}

/** Decrypts and checks keys read from any storage; see loadKeyDir. */
export async function loadKeys(entries: readonly KeyFileEntry[], passphrase: string | undefined, cache?: MaterialCache): Promise<LoadedKey[]> {
  const results = await Promise.allSettled(
    entries.map(async ({ path, file }): Promise<LoadedKey> => {
      const material = cache?.get(cacheKey(file)) ?? (await materialOf(file, path, passphrase));
      return {
        ...material,
        file,
        createdAt: Date.parse(file.created_at),
        activatedAt: ms(file.activated_at),
        retiredAt: ms(file.retired_at),
      };
    }),
  );
  const problems = results.flatMap((r) =>
    r.status === 'fulfilled' ? [] : r.reason instanceof ConfigError ? r.reason.problems : [String(r.reason)],
  );
  if (problems.length) throw new ConfigError(problems);
  const keys = results.map((r) => (r as PromiseFulfilledResult<LoadedKey>).value);
  if (cache) {
    cache.clear();
    for (const k of keys) cache.set(cacheKey(k.file), { privateKey: k.privateKey, publicKey: k.publicKey, publicJwk: k.publicJwk });
  }
  return keys;
}

/** A brand-new key file in state `next`, encrypted when a passphrase is given. */
export async function generateKeyFile(alg: SigningAlg, createdAt: string, passphrase: string | undefined): Promise<KeyFile> {
  const { privateKey, publicKey } = await generateKeyPairFor(alg);
  const kid = await thumbprint(await publicJwkOf(publicKey));
  const pem =
    passphrase === undefined
      ? privateKey.export({ type: 'pkcs8', format: 'pem' })
      : privateKey.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase });
  return {
    version: KEY_FILE_VERSION,
    kid,
    alg,
    state: 'next',
    created_at: createdAt,
    activated_at: null,
    retired_at: null,
    encrypted: passphrase !== undefined,
    private_key: pem.toString(),
  };
}
