import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLocalJWKSet, jwtVerify, SignJWT, type JSONWebKeySet } from 'jose';
import { KeyManager, type KeyManagerOptions } from '../../../src/core/keys/key-manager.js';

export const MINUTE = 60_000;

/** A fresh temp dir per test; `cleanup()` removes every dir made so far. */
export function tempDirs() {
  const made: string[] = [];
  return {
    async make(): Promise<string> {
      const d = await mkdtemp(join(tmpdir(), 'tessera-keys-'));
      made.push(d);
      return d;
    },
    async cleanup(): Promise<void> {
      await Promise.all(made.splice(0).map((d) => rm(d, { recursive: true, force: true })));
    },
  };
}

/** A settable clock for the injected `now`. */
export function testClock(start = Date.parse('2025-01-01T00:00:00Z')) {
  let t = start;
  return { now: () => t, advance: (ms: number) => void (t += ms) };
}

export function openManager(dir: string, extra: Partial<KeyManagerOptions> = {}): Promise<KeyManager> {
  return KeyManager.open({ dir, alg: 'EdDSA', publishRetiredForMs: 10 * MINUTE, pollIntervalMs: 0, ...extra });
}

export function signToken(keys: KeyManager, now = Math.floor(Date.now() / 1000)): Promise<string> {
  const key = keys.signingKey();
  return new SignJWT({ client_id: 'test', scope: 'a' })
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'at+jwt' })
    .setIssuer('https://issuer.test')
    .setSubject('alice')
    .setAudience('https://api.test')
    .setIssuedAt(now)
    .setExpirationTime(now + 600)
    .sign(key.privateKey);
}

/** Verifies the way a resource server would: against the published JWKS only. */
export function verifyWithJwks(keys: KeyManager, token: string) {
  const set = createLocalJWKSet(JSON.parse(keys.jwks().body) as JSONWebKeySet);
  return jwtVerify(token, set, { issuer: 'https://issuer.test', audience: 'https://api.test', typ: 'at+jwt' });
}

export function jwksKids(keys: KeyManager): string[] {
  return (JSON.parse(keys.jwks().body) as JSONWebKeySet).keys.map((k) => k.kid ?? '');
}

/** Polls `check` until it holds or `timeoutMs` passes. */
export async function eventually(check: () => boolean, timeoutMs = 3000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
