/** What every admin-API command shares: its I/O, the contract's exit codes, and argument checks. */
import { InvalidArgumentError } from 'commander';
import { AdminApiError, UsageError } from './admin-client.js';

export interface CliIo {
  out: (line: string) => void;
  err: (line: string) => void;
  setExit: (code: number) => void;
}

/** Runs a command body and maps its failures to the contract's exit codes: 2 bad usage, 1 refused or unreachable. */
export async function withExitCodes(io: CliIo, body: () => Promise<void>): Promise<void> {
  try {
    await body();
    io.setExit(0);
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`tessera: ${e.message}`);
      io.setExit(2);
    } else if (e instanceof AdminApiError) {
      io.err(`tessera: ${e.message}`);
      io.setExit(1);
    } else throw e;
  }
}

/** What the server accepts as an RFC 3339 date-time (it answers 400 to anything else). */
export function rfc3339(v: string): string {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(v) || Number.isNaN(Date.parse(v))) {
    throw new InvalidArgumentError('must be an RFC 3339 date-time, e.g. 2030-01-31T00:00:00Z');
  }
  return v;
}
