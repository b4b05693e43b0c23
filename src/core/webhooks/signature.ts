/**
 * Standard Webhooks signatures (https://www.standardwebhooks.com, "Signature
 * scheme"): HMAC-SHA256 over `${webhook-id}.${webhook-timestamp}.${body}`
 * with the secret's bytes (the base64 after `whsec_`), sent as
 * `webhook-signature: v1,<base64>`. During a secret's rotation overlap the
 * header carries one signature per secret, space-separated, so a receiver
 * holding either secret verifies the message (spec: "Signature rotation").
 */
import { createHmac, randomBytes } from 'node:crypto';

export const SECRET_PREFIX = 'whsec_';
/** The spec asks for 24 to 64 bytes of randomness; 32 matches HMAC-SHA256's block strength. */
const SECRET_BYTES = 32;

export function generateWebhookSecret(): string {
  return `${SECRET_PREFIX}${randomBytes(SECRET_BYTES).toString('base64')}`;
}

function keyOf(secret: string): Buffer {
  if (!secret.startsWith(SECRET_PREFIX)) throw new TypeError('a webhook secret starts with whsec_');
  return Buffer.from(secret.slice(SECRET_PREFIX.length), 'base64');
}

export interface SignedHeaders {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
}

/** The three headers of one attempt; `timestampMs` is when it is sent (the spec's replay protection). */
export function signWebhook(messageId: string, timestampMs: number, body: string, secrets: readonly string[]): SignedHeaders {
  const timestamp = String(Math.floor(timestampMs / 1000));
  const content = `${messageId}.${timestamp}.${body}`;
  const signatures = secrets.map((s) => `v1,${createHmac('sha256', keyOf(s)).update(content, 'utf8').digest('base64')}`);
  return { 'webhook-id': messageId, 'webhook-timestamp': timestamp, 'webhook-signature': signatures.join(' ') };
}
