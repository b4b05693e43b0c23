/** Helpers for driving the login pages with supertest, as a browser would. */
import { createHash, randomBytes } from 'node:crypto';
import request from 'supertest';
import type { Harness } from '../support/harness.js';
import { expectDocumented as hit } from '../support/openapi.js';

export const REDIRECT = 'https://app.example.com/cb';

export function pkce() {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

export function authorizeQuery(clientId: string, challenge: string, extra: Record<string, string> = {}) {
  return { response_type: 'code', client_id: clientId, redirect_uri: REDIRECT, state: 'st-1', code_challenge: challenge, code_challenge_method: 'S256', ...extra };
}

export interface LoginPage { requestId: string; csrf: string; cookie: string; html: string }

export async function openLogin(h: Harness, query: Record<string, string>): Promise<LoginPage> {
  const res = await hit(request(h.app).get('/oauth/authorize').query(query), 200);
  const html = res.text;
  const field = (name: string) => new RegExp(`name="${name}" value="([^"]*)"`).exec(html)?.[1] ?? '';
  const cookie = (res.headers['set-cookie'] as unknown as string[]).find((c) => c.startsWith('tessera_authz='))!.split(';')[0]!;
  return { requestId: field('request_id'), csrf: field('csrf'), cookie, html };
}

export function postLogin(h: Harness, page: LoginPage, username: string, password: string, override: Partial<{ cookie: string; csrf: string; requestId: string }> = {}) {
  return request(h.app)
    .post('/oauth/authorize/login')
    .set('Cookie', override.cookie ?? page.cookie)
    .type('form')
    .send({ request_id: override.requestId ?? page.requestId, csrf: override.csrf ?? page.csrf, username, password });
}

export function postConsent(h: Harness, page: LoginPage, decision: string) {
  return request(h.app).post('/oauth/authorize/consent').set('Cookie', page.cookie).type('form').send({ request_id: page.requestId, csrf: page.csrf, decision });
}

/** The code (or error) in a redirect back to the client. */
export function callback(location: string) {
  return new URL(location).searchParams;
}
