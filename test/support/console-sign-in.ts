/** The console's sign-in as its page does it: PKCE S256, the login form, the code back at /console/callback. */
import { createHash, randomBytes } from 'node:crypto';
import { loginThroughForm } from './login-form.js';

/** An authorization code for the built-in client `tessera-console` at `issuer`, with its PKCE verifier. */
export async function consoleCode(issuer: string, username: string, password: string, scope = 'tessera:admin tessera:tokens offline_access'): Promise<{ code: string; code_verifier: string }> {
  const verifier = randomBytes(32).toString('base64url');
  const authorize = new URL(`${issuer}/oauth/authorize`);
  authorize.search = new URLSearchParams({
    response_type: 'code', client_id: 'tessera-console', redirect_uri: `${issuer}/console/callback`, scope, state: 's1',
    code_challenge: createHash('sha256').update(verifier).digest('base64url'), code_challenge_method: 'S256',
  }).toString();
  const back = await loginThroughForm(authorize.href, username, password);
  if (`${back.origin}${back.pathname}` !== `${issuer}/console/callback`) throw new Error(`sign-in came back to ${back.href}`);
  return { code: back.searchParams.get('code') ?? '', code_verifier: verifier };
}
