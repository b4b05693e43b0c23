/**
 * Signing keys kept in the store (TESSERA_KEYS_STORAGE=store), so that
 * instances on hosts without a shared disk share keys and rotation.
 *
 * Envelope encryption: each key's PKCS#8 private key is sealed (AES-256-GCM)
 * under a random 32-byte data key of its own; the data key is sealed under
 * the key-wrapping key, derived from TESSERA_KEYS_PASSPHRASE with scrypt and
 * a random salt kept in the store (set by the first instance). The store
 * (and any copy of it: a backup, a replica, a dump) holds no private key
 * and no key that opens one. A record copied from one kid to another is
 * refused at load (the kid must be the thumbprint of the key it holds), and
 * so is one whose state or times were changed in Redis (they are sealed
 * beside the private key).
 *
 * Changes are fenced by a rotation lock held in the store (a write by an
 * instance whose lock ran out is refused), and announced over pub/sub so
 * that every instance reloads at once; polling the version stays as the
 * fallback.
 */
import { randomBytes, scrypt as scryptCb, type ScryptOptions } from 'node:crypto';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import type { SigningKeyRepository } from '../../store/signing-key-records.js';
import { sealWithKey, unsealWithKey } from '../crypto/seal.js';
import { ConfigError } from '../errors.js';
import { parseKeyFile, type KeyFile } from './key-file.js';
import type { KeyStorage, StoredKeyEntry } from './key-storage.js';
import { SIGNING_ALGS } from './types.js';

const RECORD_VERSION = 1;
const WRAP = 'kw1';
const SEAL = 'pk1';
/** scrypt cost of the key-wrapping key: done once per process start. */
const SCRYPT: ScryptOptions = { N: 1 << 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };
/** A crashed holder's lock runs out after this; a rotation takes far less. */
export const STORE_LOCK_MS = 30_000;
const GIVE_UP_AFTER_MS = 2 * STORE_LOCK_MS;

const isoTime = z.iso.datetime({ offset: true });
const StoredRecord = z.object({
  version: z.literal(RECORD_VERSION),
  kid: z.string(),
  alg: z.enum(SIGNING_ALGS),
  state: z.enum(['next', 'active', 'retired']),
  created_at: isoTime,
  activated_at: isoTime.nullable(),
  retired_at: isoTime.nullable(),
  /** The data key, sealed under the key-wrapping key. */
  wrapped_key: z.string(),
  /** The PKCS#8 PEM and the record's state and times, sealed under the data key. */
  sealed_private_key: z.string(),
});

function scrypt(passphrase: string, salt: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scryptCb(passphrase, salt, 32, SCRYPT, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

export class StoreKeyStorage implements KeyStorage {
  readonly description = 'the signing keys in the store';
  /** Whole records are sealed here; PEMs are kept unencrypted inside the seal. */
  readonly pemPassphrase = undefined;
  #wrappingKey: Buffer | null = null;
  /** The lock's holder while this process holds it; one holder at a time per process. */
  #holder: string | null = null;
  #chain: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly repo: SigningKeyRepository,
    private readonly passphrase: string,
  ) {
    if (passphrase.length < 16) throw new ConfigError(['TESSERA_KEYS_PASSPHRASE: must be 16 characters or more to keep signing keys in the store']);
  }

  async prepare(): Promise<void> {
    if (this.#wrappingKey) return;
    const salt = await this.repo.salt(randomBytes(16).toString('base64url'));
    this.#wrappingKey = await scrypt(this.passphrase, Buffer.from(salt, 'base64url'));
  }

  async read(): Promise<StoredKeyEntry[]> {
    const key = this.#key();
    const { records } = await this.repo.load();
    const entries: StoredKeyEntry[] = [];
    const problems: string[] = [];
    for (const [kid, text] of [...records].sort(([a], [b]) => a.localeCompare(b))) {
      const path = `store/${kid}.json`;
      let record: z.infer<typeof StoredRecord>;
      try {
        record = StoredRecord.parse(JSON.parse(text));
      } catch {
        problems.push(`signing key ${kid} in the store is not a valid record`);
        continue;
      }
      const dataKey = unsealWithKey(record.wrapped_key, key, WRAP);
      const sealed = dataKey === null ? null : unsealWithKey(record.sealed_private_key, Buffer.from(dataKey, 'base64url'), SEAL);
      if (sealed === null) {
        problems.push(`TESSERA_KEYS_PASSPHRASE does not open signing key ${kid} in the store (wrong passphrase?)`);
        continue;
      }
      const { wrapped_key: _w, sealed_private_key: _s, ...meta } = record;
      // The state and times are sealed too: a record whose clear copy was changed in Redis is refused.
      const inside = JSON.parse(sealed) as { private_key: string; meta: string };
      if (inside.meta !== metaOf(meta)) {
        problems.push(`signing key ${kid} in the store was altered outside Tessera (its state or times do not match the sealed ones)`);
        continue;
      }
      const parsed = parseKeyFile(JSON.stringify({ ...meta, encrypted: false, private_key: inside.private_key }), path);
      if ('problems' in parsed) problems.push(...parsed.problems);
      else entries.push({ path, file: parsed.file });
    }
    if (problems.length) throw new ConfigError(problems);
    return entries;
  }

  signature(): Promise<string> {
    return this.repo.version();
  }

  async write(file: KeyFile): Promise<void> {
    if (file.encrypted) throw new Error(`key ${file.kid}: an encrypted PEM cannot be stored; decrypt it first`);
    const dataKey = randomBytes(32);
    const meta = {
      version: RECORD_VERSION, kid: file.kid, alg: file.alg, state: file.state,
      created_at: file.created_at, activated_at: file.activated_at, retired_at: file.retired_at,
    } as const;
    const record = {
      ...meta,
      wrapped_key: sealWithKey(dataKey.toString('base64url'), this.#key(), WRAP),
      sealed_private_key: sealWithKey(JSON.stringify({ private_key: file.private_key, meta: metaOf(meta) }), dataKey, SEAL),
    };
    dataKey.fill(0);
    if (!(await this.repo.put(file.kid, JSON.stringify(record), this.#lockHolder()))) throw lockLost();
  }

  async remove(kid: string): Promise<void> {
    if (!(await this.repo.remove(kid, this.#lockHolder()))) throw lockLost();
  }

  /** One holder at a time in this process (chained), and one process at a time across hosts (the store's lock). */
  withLock<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#chain.then(() => this.#locked(fn));
    this.#chain = run.catch(() => undefined);
    return run;
  }

  announce(): Promise<void> {
    return this.repo.announce();
  }

  watch(onChange: () => void): Promise<() => Promise<void>> {
    return this.repo.watch(onChange);
  }

  async #locked<T>(fn: () => Promise<T>): Promise<T> {
    const holder = `${hostname()}:${process.pid}:${randomBytes(8).toString('hex')}`;
    // The real clock: Redis expires the lock by it.
    const started = Date.now();
    while (!(await this.repo.acquireLock(holder, Date.now() + STORE_LOCK_MS))) {
      if (Date.now() - started > GIVE_UP_AFTER_MS) throw new Error('timed out waiting for the signing keys rotation lock in the store');
      // Jitter keeps contending instances from retrying in lock-step.
      await sleep(20 + Math.floor(Math.random() * 30));
    }
    this.#holder = holder;
    try {
      return await fn();
    } finally {
      this.#holder = null;
      await this.repo.releaseLock(holder).catch(() => undefined);
    }
  }

  #lockHolder(): string {
    if (this.#holder === null) throw new Error('signing keys in the store are changed only under the rotation lock');
    return this.#holder;
  }

  #key(): Buffer {
    if (!this.#wrappingKey) throw new Error('StoreKeyStorage.prepare() was not called');
    return this.#wrappingKey;
  }
}

type RecordMeta = Omit<z.infer<typeof StoredRecord>, 'wrapped_key' | 'sealed_private_key'>;

/** The clear part of a record in a fixed order, as sealed beside the private key. */
function metaOf(m: RecordMeta): string {
  return JSON.stringify([m.version, m.kid, m.alg, m.state, m.created_at, m.activated_at, m.retired_at]);
}

function lockLost(): Error {
  return new Error('the signing keys rotation lock in the store was lost (held past its expiry?): the change was not made');
}
