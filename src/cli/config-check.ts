/** `tessera config check FILE`: validates a bootstrap file offline; 0 when valid, 2 otherwise. */
import { readBootstrapFile } from '../config/bootstrap-file.js';
import { ConfigError } from '../core/errors.js';

export async function configCheckCommand(file: string, opts: { json: boolean; out: (l: string) => void; err: (l: string) => void }): Promise<number> {
  try {
    const parsed = await readBootstrapFile(file);
    const summary = {
      valid: true,
      roles: Object.keys(parsed.roles ?? {}).length,
      users: (parsed.users ?? []).length,
      clients: (parsed.clients ?? []).length,
    };
    opts.out(opts.json ? JSON.stringify(summary) : `${file} is valid: ${summary.roles} roles, ${summary.users} users, ${summary.clients} clients`);
    return 0;
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    const problems = e.problems.map((p) => p.replace(/^TESSERA_CONFIG: /, ''));
    if (opts.json) opts.out(JSON.stringify({ valid: false, problems }));
    else for (const p of problems) opts.err(`${file}: ${p}`);
    return 2;
  }
}
