/**
 * `tessera scan PATH`: walks a directory tree offline and reports every
 * string with a Tessera prefix and a valid checksum, with file and line.
 * Exit 1 when any are found, so it can run in CI as a secret scanner;
 * strings with the right prefix but a wrong checksum are not tokens and are
 * ignored.
 */
import { createReadStream } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { findOpaqueTokens, parseOpaqueToken } from '../core/tokens/opaque-token.js';

export interface Finding {
  file: string;
  line: number;
  kind: 'refresh_token' | 'api_token';
  /** The token with its secret part masked: a report must not leak it again. */
  masked: string;
}

const SKIP_DIRS = new Set(['.git', 'node_modules']);
const MAX_FILE_BYTES = 10 * 1024 * 1024;

export function mask(token: string): string {
  return `${token.slice(0, 8)}${'*'.repeat(26)}${token.slice(-4)}`;
}

async function scanFile(file: string, root: string, out: Finding[]): Promise<void> {
  const lines = createInterface({ input: createReadStream(file, { encoding: 'latin1' }), crlfDelay: Infinity });
  let n = 0;
  for await (const text of lines) {
    n++;
    if (!text.includes('tsp_') && !text.includes('tsr_')) continue;
    for (const token of findOpaqueTokens(text)) {
      out.push({
        file: path.relative(root, file) || path.basename(file),
        line: n,
        kind: parseOpaqueToken(token) === 'refresh' ? 'refresh_token' : 'api_token',
        masked: mask(token),
      });
    }
  }
}

export async function scanPath(target: string): Promise<Finding[]> {
  const findings: Finding[] = [];
  const root = (await lstat(target)).isDirectory() ? target : path.dirname(target);
  const walk = async (p: string): Promise<void> => {
    const st = await lstat(p);
    if (st.isSymbolicLink()) return; // never follow links out of the tree
    if (st.isDirectory()) {
      if (p !== target && SKIP_DIRS.has(path.basename(p))) return;
      const entries = (await readdir(p)).sort();
      for (const e of entries) await walk(path.join(p, e));
      return;
    }
    if (st.isFile() && st.size <= MAX_FILE_BYTES) await scanFile(p, root, findings);
  };
  await walk(target);
  return findings;
}

export async function scanCommand(target: string, opts: { json: boolean; out: (l: string) => void; err: (l: string) => void }): Promise<number> {
  let findings: Finding[];
  try {
    findings = await scanPath(target);
  } catch (e) {
    opts.err(`tessera scan: cannot read ${target}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
    return 2;
  }
  if (opts.json) opts.out(JSON.stringify({ findings }));
  else {
    for (const f of findings) opts.out(`${f.file}:${f.line}: ${f.kind} ${f.masked}`);
    opts.err(findings.length ? `${findings.length} Tessera token(s) found` : 'no Tessera tokens found');
  }
  return findings.length ? 1 : 0;
}
