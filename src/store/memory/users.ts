/** Users and roles in memory, with the same observable behaviour as Redis (src/store/redis/users.ts). */
import { compareIds, decodeCursor, encodeCursor } from '../cursor.js';
import type { Page, PageRequest, RoleRecord, RoleRepository, UserRecord, UserRepository } from '../store.js';

export class MemoryUserRepository implements UserRepository {
  readonly #records = new Map<string, UserRecord>();
  readonly #byName = new Map<string, string>();

  constructor(private readonly assertOpen: () => void) {}

  async create(user: UserRecord): Promise<'created' | 'id_taken' | 'username_taken'> {
    this.assertOpen();
    if (this.#records.has(user.id)) return 'id_taken';
    if (this.#byName.has(user.username)) return 'username_taken';
    this.#records.set(user.id, structuredClone(user));
    this.#byName.set(user.username, user.id);
    return 'created';
  }

  async replace(user: UserRecord): Promise<'replaced' | 'missing' | 'username_taken'> {
    this.assertOpen();
    const current = this.#records.get(user.id);
    if (!current) return 'missing';
    if (current.username !== user.username) {
      const owner = this.#byName.get(user.username);
      if (owner !== undefined && owner !== user.id) return 'username_taken';
      if (this.#byName.get(current.username) === user.id) this.#byName.delete(current.username);
      this.#byName.set(user.username, user.id);
    }
    this.#records.set(user.id, structuredClone(user));
    return 'replaced';
  }

  async get(id: string): Promise<UserRecord | null> {
    this.assertOpen();
    const u = this.#records.get(id);
    return u ? structuredClone(u) : null;
  }

  async getByUsername(username: string): Promise<UserRecord | null> {
    this.assertOpen();
    const id = this.#byName.get(username);
    return id === undefined ? null : this.get(id);
  }

  async list(page: PageRequest): Promise<Page<UserRecord>> {
    const after = page.cursor === undefined ? undefined : decodeCursor(page.cursor);
    this.assertOpen();
    const ids = [...this.#records.keys()].sort(compareIds).filter((id) => after === undefined || compareIds(id, after) > 0);
    const pageIds = ids.slice(0, page.limit);
    const last = pageIds[pageIds.length - 1];
    return {
      items: pageIds.map((id) => structuredClone(this.#records.get(id)!)),
      next_cursor: ids.length > page.limit && last !== undefined ? encodeCursor(last) : null,
    };
  }

  async delete(id: string): Promise<boolean> {
    this.assertOpen();
    const current = this.#records.get(id);
    if (!current) return false;
    if (this.#byName.get(current.username) === id) this.#byName.delete(current.username);
    this.#records.delete(id);
    return true;
  }

  async replacePasswordHash(id: string, expected: string, next: string): Promise<boolean> {
    this.assertOpen();
    const current = this.#records.get(id);
    if (!current || current.password_hash !== expected) return false;
    current.password_hash = next;
    return true;
  }
}

export class MemoryRoleRepository implements RoleRepository {
  readonly #roles = new Map<string, RoleRecord>();

  constructor(private readonly assertOpen: () => void) {}

  async put(role: RoleRecord): Promise<'created' | 'updated'> {
    this.assertOpen();
    const existed = this.#roles.has(role.name);
    this.#roles.set(role.name, structuredClone(role));
    return existed ? 'updated' : 'created';
  }

  async get(name: string): Promise<RoleRecord | null> {
    this.assertOpen();
    const r = this.#roles.get(name);
    return r ? structuredClone(r) : null;
  }

  async getMany(names: readonly string[]): Promise<RoleRecord[]> {
    this.assertOpen();
    return names.flatMap((n) => {
      const r = this.#roles.get(n);
      return r ? [structuredClone(r)] : [];
    });
  }

  async list(): Promise<RoleRecord[]> {
    this.assertOpen();
    return [...this.#roles.values()].sort((a, b) => compareIds(a.name, b.name)).map((r) => structuredClone(r));
  }

  async delete(name: string): Promise<boolean> {
    this.assertOpen();
    return this.#roles.delete(name);
  }
}
