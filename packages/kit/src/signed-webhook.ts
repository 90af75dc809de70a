import { createHmac } from 'node:crypto';

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

/** Why a fetch failed, without the URL's query (a receiver may have put a token there). */
function describe(error: unknown): string {
  if (error instanceof DOMException && (error.name === 'TimeoutError' || error.name === 'AbortError')) return 'timed out';
  const cause = (error as { cause?: { code?: unknown } }).cause;
  if (cause && typeof cause.code === 'string') return `connection failed (${cause.code})`;
  return error instanceof Error ? error.message : String(error);
}

/**
 * POSTs a signed webhook once, redirects not followed. 5xx, 408, 429, time-outs and connection
 * failures may be retried; other answers may not.
 */
export async function postWebhook(post: WebhookPost): Promise<WebhookAttempt> {
  let response: Response;
  try {
    response = await fetch(post.url, {
      method: 'POST',
      headers: {
        ...post.headers,
        'content-type': post.contentType ?? 'application/json',
        [WEBHOOK_SIGNATURE_HEADER]: post.signature,
        'user-agent': post.userAgent,
      },
      body: typeof post.body === 'string' ? post.body : new Uint8Array(post.body),
      redirect: 'manual',
      signal: AbortSignal.timeout(post.timeoutMs),
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
