/** Ids of webhook objects. None is secret; a delivery's sorts by when it was created. */
import { randomBytes } from 'node:crypto';

export const newEndpointId = (): string => `whe_${randomBytes(12).toString('base64url')}`;

/** `msg_...`: the `webhook-id` of one event, shared by its deliveries to every endpoint and every attempt. */
export const newMessageId = (): string => `msg_${randomBytes(16).toString('base64url')}`;

/** `whd_<ms, base36, 9 digits><random>`: lexical order is creation order (until the year 5188). */
export const newDeliveryId = (nowMs: number): string =>
  `whd_${Math.floor(nowMs).toString(36).padStart(9, '0')}${randomBytes(9).toString('base64url')}`;

export const ENDPOINT_ID = /^whe_[A-Za-z0-9_-]{16}$/;
export const DELIVERY_ID = /^whd_[0-9a-z]{9}[A-Za-z0-9_-]{12}$/;
