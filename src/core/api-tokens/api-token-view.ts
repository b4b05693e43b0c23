import type { Actor, ApiTokenRateLimit, ApiTokenRecord } from '../../store/store.js';

export type ApiTokenStatus = 'active' | 'expired' | 'revoked';

/** What the admin and self-service APIs show of a token: never a hash, the secret only at create and rotate. */
export interface ApiTokenView {
  id: string;
  user: string;
  name: string;
  description: string | null;
  scopes: string[];
  expires_at: string;
  allowed_ips: string[] | null;
  rate_limit: ApiTokenRateLimit | null;
  created_at: string;
  created_by: Actor;
  last_used_at: string | null;
  last_used_ip: string | null;
  rotated_at: string | null;
  previous_secret_expires_at: string | null;
  revoked_at: string | null;
  revoked_by: Actor | null;
  revocation_reason: string | null;
  /** Paused by the suspicious-use policy until its owner or an admin resumes it: refused meanwhile, though `status` stays `active`. */
  paused_at: string | null;
  pause_reason: string | null;
  status: ApiTokenStatus;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function apiTokenStatus(t: ApiTokenRecord, nowMs: number): ApiTokenStatus {
  if (t.revoked_at !== null) return 'revoked';
  return t.expires_at > nowMs ? 'active' : 'expired';
}

export function toApiTokenView(t: ApiTokenRecord, nowMs: number): ApiTokenView {
  const graceLeft = t.previous_expires_at !== null && t.previous_expires_at > nowMs && t.revoked_at === null;
  return {
    id: t.id,
    user: t.user_id,
    name: t.name,
    description: t.description,
    scopes: [...t.scopes],
    expires_at: new Date(t.expires_at).toISOString(),
    allowed_ips: t.allowed_ips ? [...t.allowed_ips] : null,
    rate_limit: t.rate_limit ? { ...t.rate_limit } : null,
    created_at: new Date(t.created_at).toISOString(),
    created_by: { ...t.created_by },
    last_used_at: iso(t.last_used_at),
    last_used_ip: t.last_used_ip,
    rotated_at: iso(t.rotated_at),
    previous_secret_expires_at: graceLeft ? iso(t.previous_expires_at) : null,
    revoked_at: iso(t.revoked_at),
    revoked_by: t.revoked_by ? { ...t.revoked_by } : null,
    revocation_reason: t.revocation_reason,
    paused_at: iso(t.paused_at ?? null),
    pause_reason: t.pause_reason ?? null,
    status: apiTokenStatus(t, nowMs),
  };
}
