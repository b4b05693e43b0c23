/**
 * The public keys GitHub's secret-scanning partner program signs its
 * reports with: the document GitHub publishes at
 * https://api.github.com/meta/public_keys/secret_scanning
 * (`{"public_keys": [{"key_identifier", "key" (PEM), "is_current"}]}`),
 * read from a file or fetched from a URL (TESSERA_SECRET_SCANNING_KEYS).
 * A report naming a key identifier not (yet) known makes the document be
 * read again, at most once a minute, so a new GitHub key is picked up
 * without a restart. Signatures are ECDSA P-256 with SHA-256 over the raw
 * body, DER-encoded and base64 (GitHub's docs), checked with node:crypto.
 */
import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { ConfigError } from '../errors.js';

const Document = z.object({
  public_keys: z.array(z.object({
    key_identifier: z.string().min(1).max(200),
    key: z.string().min(1).max(10_000),
    is_current: z.boolean().optional(),
  })).min(1),
});

/** How soon an unknown key identifier may make the document be read again. */
const REFRESH_AFTER_MS = 60_000;
const FETCH_TIMEOUT_MS = 5_000;

export type SignatureCheck = 'valid' | 'invalid' | 'unknown_key';

export class SecretScanningKeys {
  #keys = new Map<string, KeyObject>();
  #loadedAt = -Infinity;
  #loading: Promise<void> | null = null;

  /** `source`: a file path, or an http(s) URL of the document. */
  constructor(private readonly source: string, private readonly now: () => number = Date.now) {}

  /** Reads the document now; throws ConfigError when it cannot be read or holds no usable key (start-up checks a file this way). */
  async load(): Promise<void> {
    this.#loading ??= this.#read().finally(() => { this.#loading = null; });
    await this.#loading;
  }

  /** Whether `signature` (base64 DER) is a valid signature of `body` by the key `keyId`. */
  async check(keyId: string, signature: string, body: Buffer): Promise<SignatureCheck> {
    let key = this.#keys.get(keyId);
    if (!key && this.now() - this.#loadedAt >= REFRESH_AFTER_MS) {
      // A new key of GitHub's, perhaps: read the document again (a failure keeps the keys we have).
      await this.load().catch(() => undefined);
      key = this.#keys.get(keyId);
    }
    if (!key) return 'unknown_key';
    const sig = Buffer.from(signature, 'base64');
    if (sig.length === 0 || sig.length > 256) return 'invalid';
    try {
      return verify('sha256', body, { key, dsaEncoding: 'der' }, sig) ? 'valid' : 'invalid';
    } catch {
      return 'invalid';
    }
  }

  async #read(): Promise<void> {
    this.#loadedAt = this.now();
    const text = await this.#fetchText();
    let parsed: z.infer<typeof Document>;
    try {
      parsed = Document.parse(JSON.parse(text));
    } catch {
      throw new ConfigError([`TESSERA_SECRET_SCANNING_KEYS: ${this.source} is not GitHub's public-keys document ({"public_keys": [{"key_identifier", "key"}]})`]);
    }
    const keys = new Map<string, KeyObject>();
    for (const k of parsed.public_keys) {
      try {
        const key = createPublicKey(k.key);
        // GitHub signs with ECDSA on NIST P-256; anything else is not one of its keys.
        if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') keys.set(k.key_identifier, key);
      } catch {
        // A key that does not parse is skipped; the others still verify.
      }
    }
    if (keys.size === 0) throw new ConfigError([`TESSERA_SECRET_SCANNING_KEYS: ${this.source} holds no ECDSA P-256 public key`]);
    this.#keys = keys;
  }

  async #fetchText(): Promise<string> {
    if (!/^https?:\/\//.test(this.source)) {
      try {
        return await readFile(this.source, 'utf8');
      } catch (err) {
        throw new ConfigError([`TESSERA_SECRET_SCANNING_KEYS: cannot read ${this.source} (${(err as NodeJS.ErrnoException).code ?? String(err)})`]);
      }
    }
    let res: Response;
    try {
      res = await fetch(this.source, { headers: { Accept: 'application/json' }, redirect: 'error', signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
    } catch (err) {
      throw new ConfigError([`TESSERA_SECRET_SCANNING_KEYS: cannot fetch ${this.source} (${err instanceof Error ? err.message : String(err)})`]);
    }
    if (!res.ok) throw new ConfigError([`TESSERA_SECRET_SCANNING_KEYS: ${this.source} answered ${res.status}`]);
    return res.text();
  }
}
