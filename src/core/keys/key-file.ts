/**
 * The on-disk form of one signing key, `<kid>.json`. Every field is validated
 * so that a truncated or hand-edited file stops start-up with a message that
 * names it, rather than failing later when a token is signed.
 */
import { basename } from 'node:path';
import { z } from 'zod';
import { SIGNING_ALGS } from './types.js';

export const KEY_FILE_VERSION = 1;

/** An RFC 7638 SHA-256 thumbprint is 32 bytes, 43 base64url characters. */
const KID = /^[A-Za-z0-9_-]{43}$/;
const ENCRYPTED_PEM = '-----BEGIN ENCRYPTED PRIVATE KEY-----';
const PLAIN_PEM = '-----BEGIN PRIVATE KEY-----';

const isoTime = z.iso.datetime({ offset: true });

const KeyFileSchema = z
  .object({
    version: z.literal(KEY_FILE_VERSION),
    kid: z.string().regex(KID, 'must be a base64url RFC 7638 SHA-256 thumbprint'),
    alg: z.enum(SIGNING_ALGS),
    state: z.enum(['next', 'active', 'retired']),
    created_at: isoTime,
    activated_at: isoTime.nullable(),
    retired_at: isoTime.nullable(),
    encrypted: z.boolean(),
    private_key: z.string(),
  })
  .superRefine((f, ctx) => {
    if (f.state !== 'next' && f.activated_at === null) {
      ctx.addIssue({ code: 'custom', path: ['activated_at'], message: `must be set for a ${f.state} key` });
    }
    if (f.state === 'retired' && f.retired_at === null) {
      ctx.addIssue({ code: 'custom', path: ['retired_at'], message: 'must be set for a retired key' });
    }
    const pemEncrypted = f.private_key.startsWith(ENCRYPTED_PEM);
    if (!pemEncrypted && !f.private_key.startsWith(PLAIN_PEM)) {
      ctx.addIssue({ code: 'custom', path: ['private_key'], message: 'must be a PKCS#8 PEM private key' });
    } else if (pemEncrypted !== f.encrypted) {
      ctx.addIssue({ code: 'custom', path: ['encrypted'], message: `is ${f.encrypted} but the PEM says otherwise` });
    }
  });

export type KeyFile = z.infer<typeof KeyFileSchema>;

export function keyFileName(kid: string): string {
  return `${kid}.json`;
}

/**
 * Every visible `*.json` in the keys dir is taken for a key file, so a stray
 * file is reported instead of silently ignored. Dotfiles are ours (the
 * rotation lock and in-flight temp files of atomic writes).
 */
export function isKeyFileName(name: string): boolean {
  return name.endsWith('.json') && !name.startsWith('.');
}

/** Parses one key file; returns the problems (each naming the file) when it is not valid. */
export function parseKeyFile(text: string, path: string): { file: KeyFile } | { problems: string[] } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return { problems: [`key file ${path} is not valid JSON (${(err as Error).message})`] };
  }
  const parsed = KeyFileSchema.safeParse(json);
  if (!parsed.success) {
    return {
      problems: parsed.error.issues.map(
        (i) => `key file ${path}: ${i.path.length ? i.path.join('.') : 'content'} ${i.message}`,
      ),
    };
  }
  if (basename(path) !== keyFileName(parsed.data.kid)) {
    return { problems: [`key file ${path} holds kid ${parsed.data.kid} and must be named ${keyFileName(parsed.data.kid)}`] };
  }
  return { file: parsed.data };
}

/** Fixed field order, so that files diff well and identical keys serialise identically. */
export function serializeKeyFile(f: KeyFile): string {
  const ordered: KeyFile = {
    version: KEY_FILE_VERSION,
    kid: f.kid,
    alg: f.alg,
    state: f.state,
    created_at: f.created_at,
    activated_at: f.activated_at,
    retired_at: f.retired_at,
    encrypted: f.encrypted,
    private_key: f.private_key,
  };
  return `${JSON.stringify(ordered, null, 2)}\n`;
}
