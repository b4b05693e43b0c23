/**
 * Where the keys that sign someone else's JWTs come from: given inline (a
 * JWK Set), at a URL (`jwks_uri`), or found through the issuer's OpenID
 * discovery document. One resolver shape for jose's jwtVerify whichever it is.
 */
import { createLocalJWKSet, type FlattenedJWSInput, type JSONWebKeySet, type JWSHeaderParameters } from 'jose';
import type { IssuerDiscovery } from './issuer-discovery.js';
import type { RemoteKeySets, ResolvedKey } from './remote-key-sets.js';

export type KeySource =
  | { kind: 'inline'; jwks: { keys: Array<Record<string, unknown>> } }
  | { kind: 'uri'; jwksUri: string }
  | { kind: 'discovery'; issuer: string };

export type GetKey = (header: JWSHeaderParameters, token: FlattenedJWSInput) => Promise<ResolvedKey>;

/**
 * A local key set for jose. An Ed25519 key may be published with `alg`
 * `EdDSA` (RFC 8037) and used with `Ed25519` (RFC 9864's fully-specified
 * name, which oauth4webapi/openid-client sign with), or the other way round:
 * one algorithm under two names, so such a key loses its `alg` and matches
 * either (by `kty` and `crv`).
 */
export function localKeySet(jwks: { keys: ReadonlyArray<Record<string, unknown>> }): ReturnType<typeof createLocalJWKSet> {
  const keys = jwks.keys.map((k) => {
    if (k.kty === 'OKP' && k.crv === 'Ed25519' && (k.alg === 'EdDSA' || k.alg === 'Ed25519')) {
      const { alg: _alg, ...rest } = k;
      return rest;
    }
    return k;
  });
  return createLocalJWKSet({ keys } as JSONWebKeySet);
}

export class KeySources {
  constructor(
    private readonly remote: RemoteKeySets,
    private readonly discovery: IssuerDiscovery,
  ) {}

  resolver(source: KeySource): GetKey {
    switch (source.kind) {
      case 'inline': {
        const local = localKeySet(source.jwks);
        return async (header, token) => local(header, token);
      }
      case 'uri':
        return (header, token) => this.remote.key(source.jwksUri, header, token);
      case 'discovery':
        return async (header, token) => this.remote.key(await this.discovery.jwksUri(source.issuer), header, token);
    }
  }
}

/** A stable name for a source, to tell whether two policies use the same keys. */
export function keySourceId(source: KeySource): string {
  switch (source.kind) {
    case 'inline': return `inline:${JSON.stringify(source.jwks)}`;
    case 'uri': return `uri:${source.jwksUri}`;
    case 'discovery': return `discovery:${source.issuer}`;
  }
}
