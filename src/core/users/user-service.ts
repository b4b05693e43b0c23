/**
 * Users and roles. Passwords are hashed with scrypt (memory-hard) and never
 * logged; roles map to scopes. Revoking a user's tokens sets a per-user
 * cut-off: every token issued to them before it is dead, with no list of
 * tokens to walk.
 */
import { randomBytes } from 'node:crypto';
import type { Page, PageRequest, RoleRecord, Store, UserRecord } from '../../store/store.js';
import { ConflictError, InvalidRequestError, NotFoundError } from '../errors.js';
import type { PasswordHasher } from '../crypto/password-hasher.js';
import type { UserCreateInput, UserUpdateInput } from './user-input.js';

export class UserService {
  constructor(
    private readonly store: Store,
    private readonly hasher: PasswordHasher,
    private readonly now: () => number = Date.now,
  ) {}

  private iso(): string {
    return new Date(this.now()).toISOString();
  }

  private async assertRolesExist(roles: readonly string[]): Promise<void> {
    if (roles.length === 0) return;
    const found = new Set((await this.store.roles.getMany(roles)).map((r) => r.name));
    const missing = roles.filter((r) => !found.has(r));
    if (missing.length) throw new InvalidRequestError(`unknown role: ${missing.join(', ')}`);
  }

  async create(input: UserCreateInput): Promise<UserRecord> {
    const roles = [...new Set(input.roles ?? [])];
    await this.assertRolesExist(roles);
    const at = this.iso();
    const user: UserRecord = {
      id: `usr_${randomBytes(12).toString('base64url')}`,
      username: input.username,
      password_hash: await this.hasher.hash(input.password),
      roles,
      disabled: input.disabled ?? false,
      created_at: at,
      updated_at: at,
      tokens_revoked_at: null,
    };
    const outcome = await this.store.users.create(user);
    if (outcome === 'username_taken') throw new ConflictError(`username ${input.username} is taken`);
    if (outcome === 'id_taken') throw new ConflictError('user id collision; retry');
    return user;
  }

  /** For the bootstrap file: by username, created or updated, never deleted. */
  async upsert(input: UserCreateInput): Promise<'created' | 'updated'> {
    const existing = await this.store.users.getByUsername(input.username);
    if (!existing) {
      await this.create(input);
      return 'created';
    }
    await this.update(existing.id, { password: input.password, roles: input.roles ?? [], disabled: input.disabled ?? false });
    return 'updated';
  }

  async get(id: string): Promise<UserRecord> {
    const user = await this.store.users.get(id);
    if (!user) throw new NotFoundError(`user ${id} does not exist`);
    return user;
  }

  /** A user id, or a username (as the API token `user` field and the admin API's user paths allow); an id first. */
  async resolve(idOrUsername: string): Promise<UserRecord> {
    // `usr_...` is a valid username too, so it is looked up as one when no user has it as id.
    const user = (idOrUsername.startsWith('usr_') ? await this.store.users.get(idOrUsername) : null)
      ?? await this.store.users.getByUsername(idOrUsername);
    if (!user) throw new NotFoundError(`user ${idOrUsername} does not exist`);
    return user;
  }

  list(page: PageRequest): Promise<Page<UserRecord>> {
    return this.store.users.list(page);
  }

  async update(id: string, patch: UserUpdateInput): Promise<UserRecord> {
    const existing = await this.get(id);
    if (patch.roles) await this.assertRolesExist(patch.roles);
    const next: UserRecord = {
      ...existing,
      username: patch.username ?? existing.username,
      roles: patch.roles ? [...new Set(patch.roles)] : existing.roles,
      disabled: patch.disabled ?? existing.disabled,
      password_hash: patch.password !== undefined ? await this.hasher.hash(patch.password) : existing.password_hash,
      updated_at: this.iso(),
    };
    // Disabling a user ends their tokens, as revoke-tokens does.
    if (next.disabled && !existing.disabled) {
      await this.store.revocations.setUserCutoff(id, this.now());
      next.tokens_revoked_at = next.updated_at;
    }
    const outcome = await this.store.users.replace(next);
    if (outcome === 'missing') throw new NotFoundError(`user ${id} does not exist`);
    if (outcome === 'username_taken') throw new ConflictError(`username ${next.username} is taken`);
    return next;
  }

  async delete(id: string): Promise<void> {
    // Cut off first: a deleted user's tokens must be dead even where a verifier only sees the cut-off.
    await this.store.revocations.setUserCutoff(id, this.now());
    if (!(await this.store.users.delete(id))) throw new NotFoundError(`user ${id} does not exist`);
  }

  /** Every token issued to the user before now becomes inactive. */
  async revokeTokens(id: string): Promise<UserRecord> {
    const user = await this.get(id);
    const at = this.now();
    await this.store.revocations.setUserCutoff(id, at);
    const next = { ...user, tokens_revoked_at: new Date(at).toISOString(), updated_at: new Date(at).toISOString() };
    await this.store.users.replace(next);
    return next;
  }

  /** The scopes the user's roles allow now. */
  async scopesOf(user: Pick<UserRecord, 'roles'>): Promise<string[]> {
    return scopesOfRoles(await this.store.roles.getMany(user.roles));
  }

  /** scopesOf() from the roles the process holds (RoleRepository.cachedMany), with no promise; undefined when it does not hold them all: then scopesOf(). */
  cachedScopesOf(user: Pick<UserRecord, 'roles'>): string[] | undefined {
    const roles = this.store.roles.cachedMany?.(user.roles);
    return roles === undefined ? undefined : scopesOfRoles(roles);
  }

  // Roles

  async putRole(name: string, scopes: readonly string[]): Promise<{ role: RoleRecord; outcome: 'created' | 'updated' }> {
    const existing = await this.store.roles.get(name);
    const at = this.iso();
    const role: RoleRecord = { name, scopes: [...new Set(scopes)], created_at: existing?.created_at ?? at, updated_at: at };
    return { role, outcome: await this.store.roles.put(role) };
  }

  async getRole(name: string): Promise<RoleRecord> {
    const role = await this.store.roles.get(name);
    if (!role) throw new NotFoundError(`role ${name} does not exist`);
    return role;
  }

  listRoles(): Promise<RoleRecord[]> {
    return this.store.roles.list();
  }

  async deleteRole(name: string): Promise<void> {
    if (!(await this.store.roles.delete(name))) throw new NotFoundError(`role ${name} does not exist`);
  }
}

/** The scopes a user's roles allow, each once, in the order the roles name them (a loop: every refresh asks). */
function scopesOfRoles(roles: readonly RoleRecord[]): string[] {
  const scopes = new Set<string>();
  for (const role of roles) for (const scope of role.scopes) scopes.add(scope);
  return [...scopes];
}
