/**
 * The two ways a CLI command fails, as the contract's exit codes: bad usage
 * (2: nothing was asked of the server, or nothing could be) and the server
 * refusing or not answering (1). Anything else is a bug and surfaces as such.
 */

/** Bad usage: a missing URL or credentials, an unreadable file, a cancelled prompt. Exit code 2. */
export class UsageError extends Error {}

/** The server refused (its `error` and `error_description`), or could not be reached. Exit code 1. */
export class ApiError extends Error {
  constructor(
    readonly error: string,
    readonly description: string,
  ) {
    super(description ? `${error}: ${description}` : error);
  }
}
