import { createHmac } from 'node:crypto';

/**
 * The alert webhook signature, in the scheme Stripe made common: `t=<unix seconds>,v1=<hex>`,
 * the HMAC-SHA256 of `<t>.<body>`. The timestamp is signed too, so a receiver can refuse replays
 * of old deliveries.
 */
export function signWebhook(secret: string, timestampSeconds: number, body: string): string {
  const digest = createHmac('sha256', secret).update(`${timestampSeconds}.${body}`).digest('hex');
  return `t=${timestampSeconds},v1=${digest}`;
}
