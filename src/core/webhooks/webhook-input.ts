/** What a webhook endpoint request may look like (admin API). */
import { z } from 'zod';
import { WEBHOOK_EVENT_TYPES } from './event-types.js';

export const MAX_SECRET_OVERLAP_SECONDS = 7 * 86_400;

const url = z.string().max(2000).refine((v) => {
  if (!URL.canParse(v)) return false;
  const u = new URL(v);
  // Credentials in the URL would be shown in every listing: a receiver checks the signature instead.
  return (u.protocol === 'https:' || u.protocol === 'http:') && u.username === '' && u.password === '' && u.hash === '';
}, 'must be an http(s) URL without credentials or a fragment');

const eventTypes = z.array(z.enum(WEBHOOK_EVENT_TYPES, { error: `must be one of ${WEBHOOK_EVENT_TYPES.join(', ')}` })).min(1).max(WEBHOOK_EVENT_TYPES.length);

export const WebhookCreateSchema = z.strictObject({
  url,
  description: z.string().max(500).nullable().optional(),
  /** Omitted or null: every event type, including ones added later. */
  event_types: eventTypes.nullable().optional(),
  disabled: z.boolean().optional(),
});
export type WebhookCreateInput = z.infer<typeof WebhookCreateSchema>;

export const WebhookUpdateSchema = z.strictObject({
  url: url.optional(),
  description: z.string().max(500).nullable().optional(),
  event_types: eventTypes.nullable().optional(),
  disabled: z.boolean().optional(),
});
export type WebhookUpdateInput = z.infer<typeof WebhookUpdateSchema>;

export const WebhookSecretRotateSchema = z.strictObject({
  /** Seconds during which the old secret still signs too (a second signature in the header). */
  grace_period: z.number().int().min(0).max(MAX_SECRET_OVERLAP_SECONDS).optional(),
});
