/**
 * An external token issuer on loopback, as tests need one: an OpenID
 * discovery document (its `issuer` is its URL), a JWKS it can change,
 * misbehave with (status, delay, size, redirect), and tokens signed with its
 * keys, shaped however a test wants (GitHub Actions, Kubernetes, ...).
 */
import http from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { clientKey, jwksOf, type ClientKey } from './client-keys.js';

export interface Misbehaviour {
  status?: number;
  delayMs?: number;
  /** A body to send instead of the JWKS. */
  body?: string;
  /** Redirect the JWKS to this URL. */
  redirectTo?: string;
}

export interface LocalIssuer {
  url: string;
  jwksUri: string;
  key: ClientKey;
  hits: { jwks: number; discovery: number };
  /** Publishes these keys from now on. */
  publish(...keys: ClientKey[]): void;
  misbehave(m: Misbehaviour | null): void;
  /** A JWT of this issuer: `iss`, `iat`, `exp` (iat + lifetime, default 300 s), `jti` filled in unless given (null: none). */
  token(claims: Record<string, unknown>, options?: { key?: ClientKey; lifetime?: number; iat?: number; jti?: string | null }): Promise<string>;
  close(): Promise<void>;
}

export async function startLocalIssuer(path = ''): Promise<LocalIssuer> {
  const key = await clientKey('RS256');
  let published = jwksOf(key);
  let misbehaviour: Misbehaviour | null = null;
  const hits = { jwks: 0, discovery: 0 };
  const server = http.createServer((req, res) => {
    const send = (status: number, body: string) => res.writeHead(status, { 'content-type': 'application/json' }).end(body);
    if (req.url === `${path}/.well-known/openid-configuration`) {
      hits.discovery++;
      send(200, JSON.stringify({ issuer: issuer.url, jwks_uri: issuer.jwksUri, id_token_signing_alg_values_supported: ['RS256'] }));
      return;
    }
    if (req.url === `${path}/jwks`) {
      hits.jwks++;
      const m = misbehaviour;
      const answer = () => {
        if (m?.redirectTo) return void res.writeHead(302, { location: m.redirectTo }).end();
        send(m?.status ?? 200, m?.body ?? JSON.stringify(published));
      };
      if (m?.delayMs) setTimeout(answer, m.delayMs);
      else answer();
      return;
    }
    send(404, '{}');
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}${path}`;
  const issuer: LocalIssuer = {
    url: base,
    jwksUri: `${base}/jwks`,
    key,
    hits,
    publish: (...keys) => { published = jwksOf(...keys); },
    misbehave: (m) => { misbehaviour = m; },
    async token(claims, options = {}) {
      const k = options.key ?? key;
      const iat = options.iat ?? Math.floor(Date.now() / 1000);
      const body: Record<string, unknown> = { iss: base, iat, nbf: iat - 5, exp: iat + (options.lifetime ?? 300), ...claims };
      if (options.jti !== null && body.jti === undefined) body.jti = options.jti ?? randomUUID();
      return new SignJWT(body).setProtectedHeader({ alg: k.alg, kid: k.kid, typ: 'JWT' }).sign(k.privateKey);
    },
    async close() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
  return issuer;
}
