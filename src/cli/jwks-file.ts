/** `--jwks-file PATH`: a JWK Set of public keys read from a file, for clients and trust policies. */
import { readFile } from 'node:fs/promises';
import type { components } from '../client/tessera-client.js';
import { UsageError } from './cli-errors.js';

/** The file's set as sent; the server checks each key (public, asymmetric) and answers what is wrong. */
export async function readJwksFile(file: string): Promise<components['schemas']['ClientJwks']> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new UsageError(`${file} is not JSON`);
  }
  const keys = (data as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys)) throw new UsageError(`${file} is not a JWK Set ({"keys": [...]})`);
  return { keys: keys as components['schemas']['ClientJwks']['keys'] };
}
