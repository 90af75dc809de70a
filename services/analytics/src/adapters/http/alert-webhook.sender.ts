import { ALERT_SIGNATURE_HEADER } from '@citus/contracts';
import type { DeliveryAttempt, WebhookRequest, WebhookSender } from '../../domain/alert-delivery.port.js';

/** Why a fetch failed, without the URL's query (a receiver may have put a token there). */
function describe(error: unknown): string {
  if (error instanceof DOMException && (error.name === 'TimeoutError' || error.name === 'AbortError')) return 'timed out';
  const cause = (error as { cause?: { code?: unknown } }).cause;
  if (cause && typeof cause.code === 'string') return `connection failed (${cause.code})`;
  return error instanceof Error ? error.message : String(error);
}

/** POSTs alert webhooks with fetch; 5xx, 408, 429, time-outs and connection failures may be retried. */
export class FetchWebhookSender implements WebhookSender {
  async send(request: WebhookRequest): Promise<DeliveryAttempt> {
    let response: Response;
    try {
      response = await fetch(request.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', [ALERT_SIGNATURE_HEADER]: request.signature, 'user-agent': 'citus-alerts/1' },
        body: request.body,
        redirect: 'manual',
        signal: AbortSignal.timeout(request.timeoutMs),
      });
    } catch (error) {
      return { ok: false, retryable: true, error: describe(error) };
    }
    // The body is not needed: releasing it frees the connection.
    await response.body?.cancel().catch(() => undefined);
    if (response.status >= 200 && response.status < 300) return { ok: true, httpStatus: response.status };
    const retryable = response.status >= 500 || response.status === 408 || response.status === 429;
    return { ok: false, retryable, httpStatus: response.status, error: `the receiver answered ${response.status}` };
  }
}
