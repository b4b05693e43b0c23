/**
 * `tessera config check [FILE]`, offline: checks the environment the way
 * the server does at start (saying which store it would use: in memory, one
 * Redis, Sentinel or Cluster, and where signing keys are kept) and, when
 * given (or named by TESSERA_CONFIG), a bootstrap file. 0 when all is
 * valid, 2 otherwise.
 */
import { loadConfig, type Config } from '../config/config.js';
import { readBootstrapFile } from '../config/bootstrap-file.js';
import { ConfigError } from '../core/errors.js';
import { describeTopology, storeMode } from '../store/redis/topology.js';

interface CheckIo {
  json: boolean;
  out: (l: string) => void;
  err: (l: string) => void;
  env?: NodeJS.ProcessEnv;
}

interface FileSummary { roles: number; users: number; clients: number }

async function checkFile(file: string): Promise<{ summary: FileSummary } | { problems: string[] }> {
  try {
    const parsed = await readBootstrapFile(file);
    return { summary: { roles: Object.keys(parsed.roles ?? {}).length, users: (parsed.users ?? []).length, clients: (parsed.clients ?? []).length } };
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    return { problems: e.problems.map((p) => p.replace(/^TESSERA_CONFIG: /, '')) };
  }
}

function storeLines(config: Config): string[] {
  const lines = [`store: ${describeTopology(config.redis)}`];
  if (config.redis) {
    lines.push(config.redisWait.replicas === 0
      ? 'security-critical writes: not confirmed on replicas (TESSERA_REDIS_WAIT_REPLICAS=0)'
      : `security-critical writes: confirmed by up to ${config.redisWait.replicas} replica(s) when the primary has them, within ${config.redisWait.timeoutMs} ms`);
  }
  lines.push(config.keysStorage === 'store'
    ? 'signing keys: in the store, envelope-encrypted with TESSERA_KEYS_PASSPHRASE'
    : `signing keys: files in ${config.keysDir}${config.keysPassphrase ? ', encrypted with TESSERA_KEYS_PASSPHRASE' : ''}`);
  return lines;
}

export async function configCheckCommand(file: string | undefined, opts: CheckIo): Promise<number> {
  let config: Config | null = null;
  let envProblems: string[] = [];
  try {
    config = loadConfig(opts.env ?? process.env);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    envProblems = e.problems;
  }
  const target = file ?? config?.configFile ?? undefined;
  const checked = target === undefined ? null : await checkFile(target);
  const fileProblems = checked && 'problems' in checked ? checked.problems : [];
  const valid = envProblems.length === 0 && fileProblems.length === 0;

  if (opts.json) {
    opts.out(JSON.stringify({
      valid,
      ...(config ? { store: storeMode(config.redis), redis: describeTopology(config.redis), keys_storage: config.keysStorage } : {}),
      ...(checked && 'summary' in checked ? { file: target, ...checked.summary } : {}),
      ...(valid ? {} : { problems: [...envProblems, ...fileProblems] }),
    }));
    return valid ? 0 : 2;
  }
  for (const p of envProblems) opts.err(p);
  if (config) for (const line of storeLines(config)) opts.out(line);
  if (checked && 'summary' in checked) {
    const s = checked.summary;
    opts.out(`${target} is valid: ${s.roles} roles, ${s.users} users, ${s.clients} clients`);
  }
  for (const p of fileProblems) opts.err(`${target}: ${p}`);
  return valid ? 0 : 2;
}
