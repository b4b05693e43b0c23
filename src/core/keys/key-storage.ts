/**
 * Where signing keys live: files in a keys dir (this file), or records in
 * the store, envelope-encrypted (store-key-storage.ts). Rotation rules,
 * the rotation schedule and KeyManager work on this interface only, so both
 * storages follow exactly the same rules.
 */
import { dirSignature, ensureKeysDir, readKeyFiles, removeKeyFile, writeKeyFile } from './key-dir.js';
import type { KeyFile } from './key-file.js';
import { withRotateLock } from './rotate-lock.js';

export interface StoredKeyEntry {
  /** Names the key in messages: a file path, or `store:<kid>`. */
  path: string;
  /** The key with its private key as PKCS#8 PEM (encrypted with the file passphrase when `encrypted`). */
  file: KeyFile;
}

export interface KeyStorage {
  /** How messages name it. */
  readonly description: string;
  /**
   * The passphrase new PEMs are encrypted with (a keys dir with
   * TESSERA_KEYS_PASSPHRASE); undefined for a storage that encrypts
   * whole records itself.
   */
  readonly pemPassphrase: string | undefined;
  /** Creates what is missing (the dir, the data-key wrapping salt); checks access. */
  prepare(): Promise<void>;
  /** Every key, validated; all problems reported at once (ConfigError). */
  read(): Promise<StoredKeyEntry[]>;
  /** Changes whenever a key is written or removed: what polling compares. */
  signature(): Promise<string>;
  write(file: KeyFile): Promise<void>;
  remove(kid: string): Promise<void>;
  /** Runs `fn` holding the rotation lock shared by every instance using this storage. */
  withLock<T>(fn: () => Promise<T>): Promise<T>;
  /** Tells other instances that keys changed (they reload at once rather than at their next poll). */
  announce(): Promise<void>;
  /** Calls `onChange` when another instance announces a change; resolves with a function that stops listening. */
  watch(onChange: () => void): Promise<() => Promise<void>>;
}

/** Keys as `<kid>.json` files in a directory, shared by instances through the file system. */
export class DirKeyStorage implements KeyStorage {
  readonly description: string;

  constructor(
    readonly dir: string,
    readonly pemPassphrase: string | undefined,
  ) {
    this.description = `TESSERA_KEYS_DIR ${dir}`;
  }

  prepare(): Promise<void> {
    return ensureKeysDir(this.dir);
  }

  read(): Promise<StoredKeyEntry[]> {
    return readKeyFiles(this.dir);
  }

  signature(): Promise<string> {
    return dirSignature(this.dir);
  }

  write(file: KeyFile): Promise<void> {
    return writeKeyFile(this.dir, file);
  }

  remove(kid: string): Promise<void> {
    return removeKeyFile(this.dir, kid);
  }

  withLock<T>(fn: () => Promise<T>): Promise<T> {
    return withRotateLock(this.dir, fn);
  }

  /** Other instances see a changed dir at their next poll: a file system has no way to tell them sooner. */
  async announce(): Promise<void> {}

  async watch(): Promise<() => Promise<void>> {
    return async () => {};
  }
}
