/** API tokens through the admin API (any owner) or /v1/me (the caller's own): one shape for both pages. */
import { api, call } from '../api.js';
import type { components, paths } from '../../../src/client/tessera-client.js';

export type ApiToken = components['schemas']['ApiToken'];
export type ApiTokenCreated = components['schemas']['ApiTokenCreated'];
export type TokenQuery = NonNullable<paths['/admin/v1/api-tokens']['get']['parameters']['query']>;
type CreateFields = components['schemas']['ApiTokenCreateFields'];

export function tokenApi(admin: boolean) {
  const one = (id: string) => ({ params: { path: { token_id: id } } });
  return {
    list: (query: TokenQuery) => admin
      ? call(api.GET('/admin/v1/api-tokens', { params: { query } }))
      : call(api.GET('/v1/me/api-tokens', { params: { query: { ...query, user: undefined } } })),
    get: (id: string) => admin ? call(api.GET('/admin/v1/api-tokens/{token_id}', one(id))) : call(api.GET('/v1/me/api-tokens/{token_id}', one(id))),
    usage: (id: string) => admin
      ? call(api.GET('/admin/v1/api-tokens/{token_id}/usage', one(id)))
      : call(api.GET('/v1/me/api-tokens/{token_id}/usage', one(id))),
    create: (fields: CreateFields, owner: string) => admin
      ? call(api.POST('/admin/v1/api-tokens', { body: { ...fields, user: owner } }))
      : call(api.POST('/v1/me/api-tokens', { body: fields })),
    rotate: (id: string, grace: number) => admin
      ? call(api.POST('/admin/v1/api-tokens/{token_id}/rotate', { ...one(id), body: { grace_period: grace } }))
      : call(api.POST('/v1/me/api-tokens/{token_id}/rotate', { ...one(id), body: { grace_period: grace } })),
    revoke: (id: string, reason: string) => admin
      ? call(api.DELETE('/admin/v1/api-tokens/{token_id}', { ...one(id), body: reason ? { reason } : {} }))
      : call(api.DELETE('/v1/me/api-tokens/{token_id}', { ...one(id), body: reason ? { reason } : {} })),
  };
}
