import type { UserRecord } from '../../store/store.js';

/** The admin API's view of a user: never the password hash. */
export interface UserView {
  id: string;
  username: string;
  roles: string[];
  disabled: boolean;
  created_at: string;
  updated_at: string;
  tokens_revoked_at: string | null;
}

export function toUserView(u: UserRecord): UserView {
  return {
    id: u.id, username: u.username, roles: [...u.roles], disabled: u.disabled,
    created_at: u.created_at, updated_at: u.updated_at, tokens_revoked_at: u.tokens_revoked_at,
  };
}
