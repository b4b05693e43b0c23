import type { Store } from '../../store/store.js';

/** Usernames by user id, read once per job run (events name the owner people know). */
export class OwnerNames {
  readonly #names = new Map<string, Promise<string | null>>();

  constructor(private readonly store: Store) {}

  get(userId: string): Promise<string | null> {
    let name = this.#names.get(userId);
    if (!name) {
      name = this.store.users.get(userId).then((u) => u?.username ?? null);
      this.#names.set(userId, name);
    }
    return name;
  }
}
