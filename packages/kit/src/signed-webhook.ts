import { createHmac } from 'node:crypto';
import { Agent, request } from 'undici';

/** The header a platform webhook's signature travels in (alert rules, topic rules). */
export const WEBHOOK_SIGNATURE_HEADER = 'x-citus-signature';

/**
 * A webhook signature in the scheme Stripe made common: `t=<unix seconds>,v1=<hex>`, the
 * HMAC-SHA256 of `<t>.<body>`. The timestamp is signed too, so a receiver can refuse replays of
 * old deliveries.
 */
export function signWebhook(secret: string, timestampSeconds: number, body: string | Buffer): string {
  const digest = createHmac('sha256', secret).update(`${timestampSeconds}.`).update(body).digest('hex');
  return `t=${timestampSeconds},v1=${digest}`;
}

/** What one POST came to: failures are values, with whether a retry may help. */
export type WebhookAttempt = { ok: true; httpStatus: number } | { ok: false; retryable: boolean; error: string; httpStatus?: number };

export interface WebhookPost {
  url: string;
  body: string | Buffer;
  contentType?: string;
  /** The `X-Citus-Signature` value (see `signWebhook`). */
  signature: string;
  /** Further headers; the signature, content type and user agent cannot be overridden. */
  headers?: Record<string, string>;
  userAgent: string;
  timeoutMs: number;
}

/** Connections kept open between webhook deliveries: a rule posting many messages reuses them. */
const DISPATCHER = new Agent({ keepAliveTimeout: 10_000, connections: 64 });

/** Why a request failed, without the URL (its query may hold a receiver's token). */
function describe(error: unknown): string {
  if (error instanceof DOMException && (error.name === 'TimeoutError' || error.name === 'AbortError')) return 'timed out';
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') return `connection failed (${code})`;
  return error instanceof Error ? error.message : String(error);
}

/**
 * POSTs a signed webhook once, with undici's request API over kept-alive connections (Node's CA
 * trust: its bundled roots plus NODE_EXTRA_CA_CERTS); redirects are not followed. 5xx, 408, 429,
 * time-outs and connection failures may be retried; other answers may not.
 */
export async function postWebhook(post: WebhookPost): Promise<WebhookAttempt> {
  let status: number;
  try {
    const response = await request(post.url, {
      method: 'POST',
      dispatcher: DISPATCHER,
      headers: {
        ...post.headers,
        'content-type': post.contentType ?? 'application/json',
        [WEBHOOK_SIGNATURE_HEADER]: post.signature,
        'user-agent': post.userAgent,
      },
      body: post.body,
      signal: AbortSignal.timeout(post.timeoutMs),
    });
    status = response.statusCode;
    // The body is not needed: reading it to the end frees the connection for the next delivery.
    await response.body.dump();
  } catch (error) {
    // A header the receiver could never be sent (a control character, say) is refused before any connection: no try can pass.
    const invalid = (error as { code?: unknown }).code === 'UND_ERR_INVALID_ARG';
    return { ok: false, retryable: !invalid, error: describe(error) };
  }
  if (status >= 200 && status < 300) return { ok: true, httpStatus: status };
  const retryable = status >= 500 || status === 408 || status === 429;
  return { ok: false, retryable, httpStatus: status, error: `the receiver answered ${status}` };
}
