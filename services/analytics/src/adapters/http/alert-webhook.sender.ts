import { postWebhook } from '@citus/kit';
import type { DeliveryAttempt, WebhookRequest, WebhookSender } from '../../domain/alert-delivery.port.js';

/** POSTs alert webhooks (kit's `postWebhook`: 5xx, 408, 429, time-outs and connection failures may be retried). */
export class HttpWebhookSender implements WebhookSender {
  send(request: WebhookRequest): Promise<DeliveryAttempt> {
    return postWebhook({ url: request.url, body: request.body, signature: request.signature, userAgent: 'citus-alerts/1', timeoutMs: request.timeoutMs });
  }
}
