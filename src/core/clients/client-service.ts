/**
 * Clients: creation, update and secret rotation. Secrets are generated with
 * 256 bits of randomness unless given, and stored only as hashes
 * (src/core/crypto/secret-hash.ts, password-hasher.ts for chosen ones).
 * Authentication is client-authenticator.ts.
 */
import { randomBytes } from 'node:crypto';
import type { ClientRecord, Page, PageRequest, Store, TokenEndpointAuthMethod } from '../../store/store.js';
import { ConflictError, InvalidRequestError, NotFoundError } from '../errors.js';
import { generateSecret, hashGeneratedSecret } from '../crypto/secret-hash.js';
import type { PasswordHasher } from '../crypto/password-hasher.js';
import type { ClientCreateInput, ClientUpdateInput } from './client-input.js';
import { assertClientConsistent } from './client-rules.js';
import { stripUndefined } from '../objects.js';
import { authMethodOf, usesSecret } from './auth-method.js';

export interface CreatedClient {
  client: ClientRecord;
  /** The plain secret, to show once; null for public clients. */
  secret: string | null;
}

/** How the client presented itself at a token, revocation or introspection request. */
export interface PresentedClient {
  method: 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt' | 'none';
  clientId: string;
  secret: string | null;
  /** private_key_jwt: the signed client assertion (RFC 7523 §2.2). */
  assertion?: string;
}

export class ClientService {
  constructor(
    private readonly store: Store,
    private readonly hasher: PasswordHasher,
    private readonly now: () => Date = () => new Date(),
  ) {}

  private async secretHash(method: TokenEndpointAuthMethod, chosen: string | undefined): Promise<{ hash: string | null; secret: string | null }> {
    if (!usesSecret(method)) {
      if (chosen !== undefined) {
        throw new InvalidRequestError(method === 'none' ? 'a public client has no client_secret' : 'a private_key_jwt client has no client_secret');
      }
      return { hash: null, secret: null };
    }
    if (chosen !== undefined) return { hash: await this.hasher.hash(chosen), secret: chosen };
    const secret = generateSecret();
    return { hash: hashGeneratedSecret(secret), secret };
  }

  async build(input: ClientCreateInput): Promise<CreatedClient> {
    const isPublic = input.public ?? input.token_endpoint_auth_method === 'none';
    const method = input.token_endpoint_auth_method ?? (isPublic ? 'none' : 'client_secret_basic');
    const clientId = input.client_id ?? `client_${randomBytes(12).toString('base64url')}`;
    const { hash, secret } = await this.secretHash(method, input.client_secret);
    const at = this.now().toISOString();
    const client: ClientRecord = {
      client_id: clientId,
      name: input.name ?? clientId,
      public: isPublic,
      secret_hash: hash,
      grant_types: [...new Set(input.grant_types ?? (isPublic ? ['authorization_code', 'refresh_token'] : ['client_credentials']))],
      scopes: [...new Set(input.scopes ?? [])],
      default_scopes: input.default_scopes ? [...new Set(input.default_scopes)] : null,
      audiences: [...new Set(input.audiences ?? [])],
      redirect_uris: [...new Set(input.redirect_uris ?? [])],
      third_party: input.third_party ?? false,
      always_issue_refresh_token: input.always_issue_refresh_token ?? false,
      token_endpoint_auth_method: method,
      jwks: input.jwks ?? null,
      jwks_uri: input.jwks_uri ?? null,
      dpop_bound_access_tokens: input.dpop_bound_access_tokens ?? false,
      created_at: at,
      updated_at: at,
      secret_rotated_at: secret ? at : null,
    };
    assertClientConsistent(client);
    return { client, secret };
  }

  async create(input: ClientCreateInput): Promise<CreatedClient> {
    const created = await this.build(input);
    if (!(await this.store.clients.create(created.client))) {
      throw new ConflictError(`client ${created.client.client_id} already exists`);
    }
    return created;
  }

  /**
   * Creates or updates (for the bootstrap file, applied at every start);
   * never deletes. A secret the file repeats keeps its stored hash, so a
   * restart is not a rotation.
   */
  async upsert(input: ClientCreateInput & { client_id: string }): Promise<'created' | 'updated'> {
    const built = await this.build(input);
    if (await this.store.clients.create(built.client)) return 'created';
    const existing = await this.get(input.client_id);
    let secretHash = built.client.secret_hash;
    let rotatedAt = usesSecret(authMethodOf(built.client)) ? existing.secret_rotated_at : null;
    if (usesSecret(authMethodOf(built.client))) {
      const same = input.client_secret === undefined
        || (existing.secret_hash !== null && (await this.hasher.verify(input.client_secret, existing.secret_hash)).ok);
      if (same && existing.secret_hash) secretHash = existing.secret_hash;
      else rotatedAt = built.client.secret_rotated_at;
    }
    const client: ClientRecord = { ...built.client, created_at: existing.created_at, secret_hash: secretHash, secret_rotated_at: rotatedAt };
    await this.store.clients.replace(client);
    return 'updated';
  }

  async get(clientId: string): Promise<ClientRecord> {
    const client = await this.store.clients.get(clientId);
    if (!client) throw new NotFoundError(`client ${clientId} does not exist`);
    return client;
  }

  list(page: PageRequest): Promise<Page<ClientRecord>> {
    return this.store.clients.list(page);
  }

  async update(clientId: string, patch: ClientUpdateInput): Promise<ClientRecord> {
    const existing = await this.get(clientId);
    const next: ClientRecord = { ...existing, ...stripUndefined(patch), updated_at: this.now().toISOString() };
    // A credential not in use must not linger: moving to private_key_jwt drops the secret (rotate one to move back).
    if (!usesSecret(authMethodOf(next))) {
      next.secret_hash = null;
      next.secret_rotated_at = null;
    }
    assertClientConsistent(next);
    if (!(await this.store.clients.replace(next))) throw new NotFoundError(`client ${clientId} does not exist`);
    return next;
  }

  async delete(clientId: string): Promise<void> {
    if (!(await this.store.clients.delete(clientId))) throw new NotFoundError(`client ${clientId} does not exist`);
  }

  async rotateSecret(clientId: string): Promise<CreatedClient> {
    const existing = await this.get(clientId);
    if (existing.public) throw new InvalidRequestError('a public client has no secret to rotate');
    if (!usesSecret(authMethodOf(existing))) {
      throw new InvalidRequestError(`this client authenticates with ${authMethodOf(existing)}; set token_endpoint_auth_method to client_secret_basic first`);
    }
    const secret = generateSecret();
    const at = this.now().toISOString();
    const client: ClientRecord = { ...existing, secret_hash: hashGeneratedSecret(secret), secret_rotated_at: at, updated_at: at };
    if (!(await this.store.clients.replace(client))) throw new NotFoundError(`client ${clientId} does not exist`);
    return { client, secret };
  }
}
