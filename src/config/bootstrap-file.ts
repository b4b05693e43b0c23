/**
 * The bootstrap file (`TESSERA_CONFIG`): roles, users and clients applied
 * idempotently at every start. Validated with zod; unknown keys are errors.
 */
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { jsonProblem } from './json-problem.js';
import { describeIssues } from './zod-issues.js';
import { ClientCreateSchema, ClientIdSchema } from '../core/clients/client-input.js';
import { isScopeToken } from '../core/scopes.js';
import { ConfigError } from '../core/errors.js';
import { TrustPolicyCreateSchema } from '../core/federation/trust-policy-input.js';

const scope = z.string().refine(isScopeToken, 'must be a scope token');
const name = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/, 'must be 1-64 characters of A-Z a-z 0-9 . _ @ -');

const BootstrapClient = ClientCreateSchema.extend({ client_id: ClientIdSchema })
  .refine((c) => c.public === true || c.client_secret !== undefined || c.token_endpoint_auth_method === 'private_key_jwt' || c.token_endpoint_auth_method === 'none', {
    message: 'a confidential client in the bootstrap file needs a client_secret (or "public": true, or token_endpoint_auth_method private_key_jwt with its jwks or jwks_uri)',
    path: ['client_secret'],
  });

export const BootstrapFileSchema = z.strictObject({
  roles: z.record(name, z.array(scope)).optional(),
  users: z
    .array(
      z.strictObject({
        username: name,
        password: z.string().min(8, 'must be at least 8 characters').max(1024),
        roles: z.array(name).optional(),
        disabled: z.boolean().optional(),
      }),
    )
    .optional(),
  clients: z.array(BootstrapClient).optional(),
  /** Federated workload identity (the JWT bearer grant); applied after clients, which they name. */
  trust_policies: z.array(TrustPolicyCreateSchema).optional(),
});
export type BootstrapFile = z.infer<typeof BootstrapFileSchema>;

/** Problems as `path: message` lines, naming no secret values. */
export function validateBootstrap(data: unknown): { ok: true; file: BootstrapFile } | { ok: false; problems: string[] } {
  const parsed = BootstrapFileSchema.safeParse(data);
  if (parsed.success) {
    const roles = parsed.data.roles ?? {};
    const problems = (parsed.data.users ?? []).flatMap((u, i) =>
      (u.roles ?? []).filter((r) => !(r in roles)).map((r) => `users.${i}.roles: unknown role ${r}`),
    );
    return problems.length ? { ok: false, problems } : { ok: true, file: parsed.data };
  }
  return { ok: false, problems: describeIssues(BootstrapFileSchema, parsed.error.issues) };
}

export async function readBootstrapFile(path: string): Promise<BootstrapFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new ConfigError([`TESSERA_CONFIG: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? 'error'})`]);
  }
  let data: unknown;
  // Editors on Windows may start the file with a byte order mark; JSON.parse would refuse it.
  const json = text.replace(/^\uFEFF/, '');
  try {
    data = JSON.parse(json);
  } catch {
    // Where, never what: the file holds secrets, so no excerpt of it is shown.
    throw new ConfigError([`TESSERA_CONFIG: ${path} ${jsonProblem(json)}`]);
  }
  const result = validateBootstrap(data);
  if (!result.ok) throw new ConfigError(result.problems.map((p) => `TESSERA_CONFIG: ${p}`));
  return result.file;
}
