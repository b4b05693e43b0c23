/**
 * Secrets the server has to read back (webhook signing secrets: an HMAC
 * needs the secret itself, so a hash will not do), sealed before they reach
 * the store when TESSERA_KEYS_PASSPHRASE is set: a copy of Redis (a backup,
 * a replica, a stolen dump) then holds nothing that signs. The key is
 * derived once at start with scrypt (the passphrase is a person's choice),
 * so sealing and opening cost one AES-GCM operation each. Without a
 * passphrase secrets are stored as they are, and the README says so.
 */
import { scryptSync } from 'node:crypto';
import { sealWithKey, unsealWithKey } from './seal.js';

const VERSION = 'enc1';
// A fixed, purpose-bound salt: the key is derived once per process from one passphrase.
const SALT = Buffer.from('tessera at-rest secrets v1');

export class SecretCannotBeOpenedError extends Error {}

export class AtRestSecrets {
  readonly #key: Buffer | null;

  constructor(passphrase: string | null | undefined) {
    this.#key = passphrase ? scryptSync(passphrase, SALT, 32, { N: 16_384, r: 8, p: 1 }) : null;
  }

  /** Whether secrets are sealed (a passphrase is set). */
  get sealing(): boolean {
    return this.#key !== null;
  }

  seal(secret: string): string {
    return this.#key ? sealWithKey(secret, this.#key, VERSION) : secret;
  }

  /** Opens what seal() stored; a secret stored before a passphrase was set is read as it is. */
  open(stored: string): string {
    if (!stored.startsWith(`${VERSION}.`)) return stored;
    const plain = this.#key ? unsealWithKey(stored, this.#key, VERSION) : null;
    if (plain === null) throw new SecretCannotBeOpenedError('a stored secret cannot be opened: TESSERA_KEYS_PASSPHRASE is not the one it was sealed with');
    return plain;
  }
}
