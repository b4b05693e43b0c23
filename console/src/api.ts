/** The console's one client of the API: tessera/client's typed client, with the signed-in user's access token. */
import { createTesseraBearerClient } from '../../src/client/tessera-client.js';
import { accessToken, BASE, ORIGIN } from './auth.js';

export const api = createTesseraBearerClient({ url: `${ORIGIN}${BASE}`, accessToken });

export class ApiError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

/** The answer's data, or an ApiError with the server's own words. */
export async function call<T>(request: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  const { data, error, response } = await request;
  if (response.ok) return data as T;
  const e = error as { error?: string; error_description?: string } | undefined;
  throw new ApiError(response.status, e?.error_description ?? e?.error ?? `the server answered ${response.status}`);
}
