/**
 * `tessera users list|get|create|update|set-password|delete|revoke-tokens`:
 * clients of /admin/v1/users through the generated client. Passwords come
 * only through standard input (`--password-stdin`) or a prompt that does not
 * echo, never as an argument.
 */
import { Command, Option } from 'commander';
import type { components } from '../client/tessera-client.js';
import type { AdminApi } from './admin-api.js';
import { ApiError, UsageError } from './cli-errors.js';
import { adminAction, adminOptions, CREDENTIALS_HELP, pathId, print, wordsIfGiven, type CliIo, type JsonOption, type UrlOption } from './cli-support.js';
import { fetchPages, MAX_PAGE, pageLines, withPaging, type PagingOptions } from './paging.js';
import { obtainSecret } from './secret-input.js';
import { userLines, userTable, type User } from './user-format.js';

type Common = UrlOption & JsonOption;

const userPath = (id: string) => ({ params: { path: { user_id: id } } });

/** A user by id (`usr_...`) or username: the admin API's user paths take either. */
export async function findUser(api: AdminApi, ref: string): Promise<User> {
  try {
    return await api.call((c) => c.GET('/admin/v1/users/{user_id}', userPath(ref)));
  } catch (e) {
    if (e instanceof ApiError && e.error === 'not_found') throw new ApiError('not_found', `no user with the id or username ${ref}`);
    throw e;
  }
}

const userId = async (api: AdminApi, ref: string): Promise<string> => (await findUser(api, ref)).id;

const USER = ['<user>', 'user id (usr_...) or username', pathId('user id or username')] as const;

const password = (io: CliIo, piped: boolean | undefined) =>
  obtainSecret(io.stdin, io.prompt, { piped: piped === true, what: 'password', flag: '--password-stdin', confirm: true });

export function registerUsers(program: Command, io: CliIo): void {
  const group = program
    .command('users')
    .description('manage users (who sign in at the login page) through the admin API')
    .addHelpText('after', CREDENTIALS_HELP);

  withPaging(adminOptions(group.command('list').description('list users, by id')), 'users')
    .action(async (o: Common & PagingOptions) => {
      await adminAction(io, o, async (api) => {
        const page = await fetchPages(o, (q) => api.call((c) => c.GET('/admin/v1/users', { params: { query: q } })));
        print(io, o, page, (p) => pageLines(p, userTable, 'No users.'));
      });
    });

  adminOptions(group.command('get').description('show one user').argument(...USER))
    .action(async (ref: string, o: Common) => {
      await adminAction(io, o, async (api) => {
        print(io, o, await findUser(api, ref), userLines);
      });
    });

  adminOptions(group.command('create').description('create a user; the password is asked for (or read with --password-stdin)')
    .argument('<username>', 'letters, digits and . _ @ - (1..64 characters, starting with a letter or digit)'))
    .option('--role <role...>', 'roles (each must exist; see tessera roles list)')
    .option('--disabled', 'create it disabled: it cannot sign in until enabled')
    .option('--password-stdin', 'read the password from standard input instead of asking')
    .addHelpText('after', '\nExamples:\n  tessera users create alice --role reader\n  printf %s "$PASSWORD" | tessera users create bob --role reader --password-stdin')
    .action(async (username: string, o: Common & { role?: string[]; disabled?: boolean; passwordStdin?: boolean }) => {
      await adminAction(io, o, async (api) => {
        const body: components['schemas']['UserCreateRequest'] = {
          username, password: await password(io, o.passwordStdin), roles: wordsIfGiven(o.role), disabled: o.disabled || undefined,
        };
        print(io, o, await api.call((c) => c.POST('/admin/v1/users', { body })), userLines);
      });
    });

  adminOptions(group.command('update').description('change a user: each option given replaces that field').argument(...USER))
    .option('--username <username>', 'a new username')
    .option('--role <role...>', 'roles (replaces the list; "" clears it)')
    .addOption(new Option('--disable', 'disable it: it cannot sign in, and every token issued to it stops working').conflicts('enable'))
    .addOption(new Option('--enable', 'enable it again'))
    .addHelpText('after', '\nTo change the password: tessera users set-password <user>.\nExample:\n  tessera users update alice --role reader writer')
    .action(async (ref: string, o: Common & { username?: string; role?: string[]; disable?: boolean; enable?: boolean }) => {
      const body: components['schemas']['UserUpdateRequest'] = {
        username: o.username, roles: wordsIfGiven(o.role), disabled: o.disable ? true : o.enable ? false : undefined,
      };
      await adminAction(io, o, async (api) => {
        if (Object.values(body).every((v) => v === undefined)) throw new UsageError('nothing to change: give at least one option (see --help)');
        const id = await userId(api, ref);
        print(io, o, await api.call((c) => c.PATCH('/admin/v1/users/{user_id}', { ...userPath(id), body })), userLines);
      });
    });

  adminOptions(group.command('set-password').description('set a user\'s password; it is asked for (or read with --password-stdin)').argument(...USER))
    .option('--password-stdin', 'read the password from standard input instead of asking')
    .addHelpText('after', '\nExample:\n  tessera users set-password alice')
    .action(async (ref: string, o: Common & { passwordStdin?: boolean }) => {
      await adminAction(io, o, async (api) => {
        const id = await userId(api, ref);
        const body = { password: await password(io, o.passwordStdin) };
        print(io, o, await api.call((c) => c.PATCH('/admin/v1/users/{user_id}', { ...userPath(id), body })), (u) => [`Password of ${u.username} (${u.id}) changed.`]);
      });
    });

  adminOptions(group.command('delete').description('delete a user; every token issued to it stops working').argument(...USER))
    .action(async (ref: string, o: Common) => {
      await adminAction(io, o, async (api) => {
        const id = await userId(api, ref);
        await api.callNoContent((c) => c.DELETE('/admin/v1/users/{user_id}', userPath(id)));
        print(io, o, { id, deleted: true }, () => [`Deleted user ${id}.`]);
      });
    });

  adminOptions(group.command('revoke-tokens').description('revoke everything issued to a user until now: access, refresh and API tokens').argument(...USER))
    .addHelpText('after', '\nThe user can still sign in and get new tokens; tessera users update <user> --disable stops that too.')
    .action(async (ref: string, o: Common) => {
      await adminAction(io, o, async (api) => {
        const id = await userId(api, ref);
        print(io, o, await api.call((c) => c.POST('/admin/v1/users/{user_id}/revoke-tokens', userPath(id))), userLines);
      });
    });
}
