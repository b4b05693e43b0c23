/**
 * `tessera trust-policies list|get|create|update|delete`: clients of
 * /admin/v1/trust-policies (federated workload identity) through the
 * generated client.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import type { components } from '../client/tessera-client.js';
import { UsageError } from './cli-errors.js';
import { adminAction, adminOptions, CREDENTIALS_HELP, integer, pathId, print, wordsIfGiven, type CliIo, type JsonOption, type UrlOption } from './cli-support.js';
import { fetchPages, pageLines, withPaging, type PagingOptions } from './paging.js';
import { readJwksFile } from './jwks-file.js';
import { trustPolicyLines, trustPolicyTable } from './trust-policy-format.js';

type Common = UrlOption & JsonOption;

interface FieldOptions {
  description?: string;
  jwksUri?: string;
  jwksFile?: string;
  discover?: boolean;
  audience?: string[];
  condition?: Array<[string, string]>;
  clientId?: string;
  subject?: string;
  scope?: string[];
  maxTokenLifetime?: number;
}

/** `claim=value`, repeatable; values of one claim add up to its list. */
function conditionArg(v: string, previous: Array<[string, string]> = []): Array<[string, string]> {
  const eq = v.indexOf('=');
  if (eq < 1 || eq === v.length - 1) throw new InvalidArgumentError('must be claim=value, e.g. repository=acme/app or ref=refs/heads/*');
  return [...previous, [v.slice(0, eq), v.slice(eq + 1)]];
}

function conditionsOf(pairs: Array<[string, string]> | undefined): Record<string, string[]> | undefined {
  if (!pairs) return undefined;
  const out: Record<string, string[]> = {};
  for (const [claim, value] of pairs) (out[claim] ??= []).push(value);
  return out;
}

function withFields(cmd: Command, update: boolean): Command {
  cmd
    .option('--description <text>', 'what the policy is for')
    .option('--jwks-uri <url>', 'where the issuer\'s keys are (default: OpenID discovery at the issuer)')
    .addOption(new Option('--jwks-file <path>', 'the issuer\'s public keys, a JWK Set file (an issuer Tessera cannot fetch from)').conflicts('jwksUri'))
    .option('--audience <aud...>', 'the external token\'s aud must name one of these')
    .option('--condition <claim=value>', 'a condition on a claim; repeat it; values of one claim are alternatives; * matches anything', conditionArg)
    .option('--subject <template>', 'the issued token\'s sub, with {claim} placeholders (default {sub})')
    .option('--scope <scope...>', 'scopes it grants (each among the client\'s)')
    .option('--max-token-lifetime <seconds>', 'longest lifetime an external token may have (default 3600)', integer(60, 86_400, 'seconds'));
  if (update) {
    cmd
      .option('--client-id <id>', 'the client the issued tokens are for')
      .addOption(new Option('--discover', 'find the issuer\'s keys by OpenID discovery again (clears jwks-uri and jwks)').conflicts(['jwksUri', 'jwksFile']));
  }
  return cmd;
}

async function fields(o: FieldOptions): Promise<components['schemas']['TrustPolicyUpdateRequest']> {
  const jwks = o.jwksFile ? await readJwksFile(o.jwksFile) : undefined;
  return {
    description: o.description,
    jwks_uri: o.discover ? null : o.jwksUri !== undefined ? o.jwksUri : jwks ? null : undefined,
    jwks: o.discover ? null : jwks ?? (o.jwksUri !== undefined ? null : undefined),
    audiences: wordsIfGiven(o.audience),
    conditions: conditionsOf(o.condition),
    client_id: o.clientId,
    subject: o.subject,
    scopes: wordsIfGiven(o.scope),
    max_token_lifetime: o.maxTokenLifetime,
  };
}

const policyPath = (id: string) => ({ params: { path: { policy_id: id } } });
const POLICY_ID = ['<id>', 'the trust policy id', pathId('trust policy id')] as const;
const RECIPES = '\nExamples:\n' +
  '  tessera trust-policies create gha-deploy --issuer https://token.actions.githubusercontent.com \\\n' +
  '    --audience https://auth.example.com --condition repository=acme/deploy --condition ref=refs/heads/main \\\n' +
  '    --client-id ci-deployer --subject "github:{repository}" --scope deploy:write\n' +
  '  tessera trust-policies create k8s-orders --issuer https://kubernetes.default.svc.cluster.local --jwks-file cluster-jwks.json \\\n' +
  '    --audience https://auth.example.com --condition sub=system:serviceaccount:orders:api --client-id orders --scope orders:read';

export function registerTrustPolicies(program: Command, io: CliIo): void {
  const group = program
    .command('trust-policies')
    .description('trust policies of federated workload identity (the JWT bearer grant: GitHub Actions, Kubernetes, ...) through the admin API')
    .addHelpText('after', CREDENTIALS_HELP);

  withPaging(adminOptions(group.command('list').description('list trust policies, by id')), 'trust policies')
    .action(async (o: Common & PagingOptions) => {
      await adminAction(io, o, async (api) => {
        const page = await fetchPages(o, (q) => api.call((c) => c.GET('/admin/v1/trust-policies', { params: { query: q } })));
        print(io, o, page, (p) => pageLines(p, trustPolicyTable, 'No trust policies.'));
      });
    });

  adminOptions(group.command('get').description('show one trust policy').argument(...POLICY_ID))
    .action(async (id: string, o: Common) => {
      await adminAction(io, o, async (api) => {
        print(io, o, await api.call((c) => c.GET('/admin/v1/trust-policies/{policy_id}', policyPath(id))), trustPolicyLines);
      });
    });

  withFields(adminOptions(group.command('create').description('trust an external issuer\'s tokens, on conditions, for a client').argument(...POLICY_ID)), false)
    .requiredOption('--issuer <iss>', 'the external issuer, exactly as its tokens\' iss')
    .requiredOption('--client-id <id>', 'the client the issued tokens are for (registered for the jwt-bearer grant)')
    .addHelpText('after', RECIPES)
    .action(async (id: string, o: Common & FieldOptions & { issuer: string }) => {
      await adminAction(io, o, async (api) => {
        const f = await fields(o);
        if (!f.audiences || !f.conditions) throw new UsageError('give --audience and at least one --condition');
        const body: components['schemas']['TrustPolicyCreateRequest'] = {
          ...f, id, issuer: o.issuer, client_id: o.clientId!, audiences: f.audiences, conditions: f.conditions,
        };
        print(io, o, await api.call((c) => c.POST('/admin/v1/trust-policies', { body })), trustPolicyLines);
      });
    });

  withFields(adminOptions(group.command('update').description('change a trust policy: each option given replaces that field').argument(...POLICY_ID)), true)
    .addHelpText('after', '\nThe id and the issuer cannot change (a policy for another issuer is another policy).\n' +
      '--condition replaces all conditions. Example:\n  tessera trust-policies update gha-deploy --condition repository=acme/deploy --condition ref=refs/tags/v*')
    .action(async (id: string, o: Common & FieldOptions) => {
      await adminAction(io, o, async (api) => {
        const body = await fields(o);
        if (Object.values(body).every((v) => v === undefined)) throw new UsageError('nothing to change: give at least one option (see --help)');
        print(io, o, await api.call((c) => c.PATCH('/admin/v1/trust-policies/{policy_id}', { ...policyPath(id), body })), trustPolicyLines);
      });
    });

  adminOptions(group.command('delete').description('delete a trust policy; its issuer\'s tokens are no longer accepted under it').argument(...POLICY_ID))
    .action(async (id: string, o: Common) => {
      await adminAction(io, o, async (api) => {
        await api.callNoContent((c) => c.DELETE('/admin/v1/trust-policies/{policy_id}', policyPath(id)));
        print(io, o, { id, deleted: true }, () => [`Deleted trust policy ${id}.`]);
      });
    });
}
