/**
 * `tessera keys import`: copies the keys of a keys dir into the store
 * (TESSERA_KEYS_STORAGE=store), sealed with TESSERA_KEYS_PASSPHRASE, using
 * the server's Redis variables. Exit codes: 0 done, 2 bad usage (no Redis,
 * no or short passphrase, an unusable dir, a store that holds keys), 1 the
 * store cannot be reached.
 */
import { loadConfig } from '../config/config.js';
import { ConfigError, StoreUnavailableError } from '../core/errors.js';
import { importKeyDir } from '../core/keys/import-keys.js';
import { StoreKeyStorage } from '../core/keys/store-key-storage.js';
import { createStore } from '../store/create-store.js';

export interface KeysImportOptions {
  dir: string;
  json: boolean;
  env: NodeJS.ProcessEnv;
  out: (line: string) => void;
  err: (line: string) => void;
}

export async function keysImportCommand(opts: KeysImportOptions): Promise<number> {
  const fail = (problems: string[], code = 2): number => {
    if (opts.json) opts.err(JSON.stringify({ error: code === 2 ? 'config_error' : 'temporarily_unavailable', error_description: problems.join('\n') }));
    else for (const p of problems) opts.err(`error: ${p}`);
    return code;
  };
  let config;
  try {
    config = loadConfig(opts.env);
  } catch (e) {
    if (e instanceof ConfigError) return fail(e.problems);
    throw e;
  }
  if (config.redis === null) return fail(['keys can be imported only into Redis: set REDIS_URL, TESSERA_REDIS_CLUSTER_NODES or TESSERA_REDIS_SENTINELS']);
  const passphrase = config.keysPassphrase ?? '';
  if (passphrase.length < 16) return fail(['TESSERA_KEYS_PASSPHRASE: must be set, 16 characters or more (it seals the keys kept in Redis)']);
  let store;
  try {
    store = await createStore({ topology: config.redis, prefix: config.redisPrefix, wait: config.redisWait, clientCacheTtlMs: 0, userCacheTtlMs: 0 });
  } catch (e) {
    if (e instanceof StoreUnavailableError) return fail([`the store cannot be reached: ${e.message}`], 1);
    throw e;
  }
  try {
    const kids = await importKeyDir(opts.dir, passphrase, new StoreKeyStorage(store.signingKeys, passphrase));
    if (opts.json) opts.out(JSON.stringify({ imported: kids }));
    else opts.out(`imported ${kids.length} signing key(s) from ${opts.dir} into the store: ${kids.join(', ')}`);
    return 0;
  } catch (e) {
    if (e instanceof ConfigError) return fail(e.problems);
    if (e instanceof StoreUnavailableError) return fail([`the store cannot be reached: ${e.message}`], 1);
    throw e;
  } finally {
    await store.close();
  }
}
