/**
 * What the server tells a person at start: where it is and what to do next,
 * what the in-memory store means, and, when it cannot listen, which variable
 * to change. Plain text builders, so that src/main.ts stays a sequence of
 * steps and the tests can assert every word.
 */

/** The one warning of a start without Redis (contract: "Starting it"). */
export const MEMORY_STORE_WARNING =
  'REDIS_URL is not set: using the in-memory store. Everything created while it runs (clients, users, ' +
  'API tokens, refresh tokens, revocations, and the tessera-admin client with its secret) is lost when ' +
  'the process stops; set REDIS_URL to keep it.';

/** A URL a person can open for a listen address: the wildcard addresses answer on localhost too. */
export function baseUrl(host: string, port: number): string {
  if (host === '0.0.0.0' || host === '::' || host === '127.0.0.1' || host === '::1' || host === 'localhost') return `http://localhost:${port}`;
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/** Shown once, on standard output, when this start created the first admin with a random secret. */
export function adminSecretNotice(secret: string, memoryStore: boolean): string {
  const lasting = memoryStore
    ? 'With the in-memory store this client and its secret last until the process stops: the next start\n' +
      'creates a new secret (set REDIS_URL to keep them, or TESSERA_BOOTSTRAP_ADMIN_SECRET to choose the secret).\n'
    : '';
  return '\nCreated the admin client "tessera-admin". Its secret is shown now and will not be shown again:\n' +
    `  client_id:     tessera-admin\n  client_secret: ${secret}\n${lasting}\n`;
}

/** The banner a person sees at a terminal once the server answers. */
export function readyBanner(o: { url: string; issuer: string; store: string }): string {
  const issuer = o.issuer === o.url ? '' : `, issuer ${o.issuer}`;
  return [
    '',
    `Tessera is ready at ${o.url} (${o.store} store${issuer}).`,
    'Next:',
    `  an admin token:  curl -u tessera-admin:SECRET -d grant_type=client_credentials -d scope=tessera:admin ${o.url}/oauth/token`,
    `  the CLI:         npx -p @tessera-auth/server tessera login --url ${o.url} --client-id tessera-admin`,
    `  the endpoints:   ${o.url}/ lists them; the README's quick start walks through the rest.`,
    '',
    '',
  ].join('\n');
}

/** Why a listener could not start, naming the variable that changes it. */
export function listenFailure(err: NodeJS.ErrnoException, host: string, port: number, portVariable: 'PORT' | 'TESSERA_METRICS_PORT'): string {
  const at = `cannot listen on ${host}:${port}`;
  switch (err.code) {
    case 'EADDRINUSE':
      return `${at}: the port is in use by another process (EADDRINUSE); set ${portVariable} to a free port, e.g. ${portVariable}=${port === 65535 ? port - 1 : port + 1}, or ${portVariable}=0 for any free port`;
    case 'EACCES':
      return `${at}: permission denied (EACCES); ports below 1024 need privileges: set ${portVariable} to 1024 or above`;
    case 'EADDRNOTAVAIL':
      return `${at}: ${host} is not an address of this machine (EADDRNOTAVAIL); set HOST to one of its addresses, e.g. 127.0.0.1, or 0.0.0.0 for all`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `${at}: the name ${host} does not resolve (${err.code}); set HOST to an address, e.g. 127.0.0.1, or 0.0.0.0 for all`;
    default:
      return `${at}: ${err.code ?? err.message}`;
  }
}
