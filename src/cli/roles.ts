/** `tessera roles list|get|set|delete`: clients of /admin/v1/roles through the generated client. */
import { Command } from 'commander';
import { adminAction, adminOptions, CREDENTIALS_HELP, pathId, print, words, type CliIo, type JsonOption, type UrlOption } from './cli-support.js';
import { roleLines, roleTable } from './user-format.js';

type Common = UrlOption & JsonOption;

const ROLE = ['<name>', 'the role name', pathId('role name')] as const;
const rolePath = (name: string) => ({ params: { path: { role: name } } });

export function registerRoles(program: Command, io: CliIo): void {
  const group = program
    .command('roles')
    .description('manage roles (a role maps to scopes; users get the union of their roles\' scopes) through the admin API')
    .addHelpText('after', CREDENTIALS_HELP);

  adminOptions(group.command('list').description('list every role, by name'))
    .action(async (o: Common) => {
      await adminAction(io, o, async (api) => {
        print(io, o, await api.call((c) => c.GET('/admin/v1/roles')), (r) => (r.items.length > 0 ? roleTable(r.items) : ['No roles.']));
      });
    });

  adminOptions(group.command('get').description('show one role').argument(...ROLE))
    .action(async (name: string, o: Common) => {
      await adminAction(io, o, async (api) => {
        print(io, o, await api.call((c) => c.GET('/admin/v1/roles/{role}', rolePath(name))), roleLines);
      });
    });

  adminOptions(group.command('set').description('create a role, or replace its scopes').argument(...ROLE))
    .requiredOption('--scope <scope...>', 'its scopes (replaces the list; "" for none)')
    .addHelpText('after', '\nExample:\n  tessera roles set reader --scope orders:read')
    .action(async (name: string, o: Common & { scope: string[] }) => {
      await adminAction(io, o, async (api) => {
        const role = await api.call((c) => c.PUT('/admin/v1/roles/{role}', { ...rolePath(name), body: { scopes: words(o.scope) } }));
        print(io, o, role, roleLines);
      });
    });

  adminOptions(group.command('delete').description('delete a role; users keep its name but no longer get its scopes').argument(...ROLE))
    .action(async (name: string, o: Common) => {
      await adminAction(io, o, async (api) => {
        await api.callNoContent((c) => c.DELETE('/admin/v1/roles/{role}', rolePath(name)));
        print(io, o, { name, deleted: true }, () => [`Deleted role ${name}.`]);
      });
    });
}
