import { createHmac } from 'node:crypto';
import { lookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { BlockList, isIP } from 'node:net';
import { Agent, type Dispatcher } from 'undici';
import { WEBHOOK_SIGNATURE_HEADER } from '@citus/contracts';


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
  /**
   * Refuse loopback, private, link-local and other non-public addresses, whether written in the
   * URL or resolved from its name (so a name pointing at 127.0.0.1 is refused too): a webhook a
   * tenant configures must not reach the platform's own ports or another tenant's apps.
   */
  publicOnly?: boolean;
}

/** Addresses a public-only webhook may not reach (RFC 6890's special-purpose ranges that matter here). */
const NOT_PUBLIC = new BlockList();
for (const [network, prefix] of [['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12], ['192.168.0.0', 16], ['198.18.0.0', 15], ['224.0.0.0', 3]] as const) {
  NOT_PUBLIC.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [['::', 127], ['fc00::', 7], ['fe80::', 10], ['ff00::', 8]] as const) NOT_PUBLIC.addSubnet(network, prefix, 'ipv6');

/** Whether an IP address is one a public-only webhook may not reach (IPv4-mapped IPv6 read as IPv4). */
export function isNonPublicAddress(address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
  if (mapped) return NOT_PUBLIC.check(mapped, 'ipv4');
  const family = isIP(address);
  return family === 0 ? true : NOT_PUBLIC.check(address, family === 6 ? 'ipv6' : 'ipv4');
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * Whether a URL's host (brackets of an IPv6 literal allowed) is `localhost` or a non-public IP
 * literal: what can be refused before any name is resolved.
 */
export function isNonPublicHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '');
  return host === 'localhost' || (isIP(host) !== 0 && isNonPublicAddress(host));
}

/** dns.lookup, failing when a name resolves to a non-public address. */
export function publicLookup(hostname: string, options: LookupOptions, callback: LookupCallback): void {
  lookup(hostname, options, (error, address, family) => {
    if (error) return callback(error, address, family);
    const addresses = Array.isArray(address) ? address.map((entry) => entry.address) : [address];
    const refused = addresses.find(isNonPublicAddress);
    if (refused) return callback(Object.assign(new Error(`${hostname} resolves to a non-public address`), { code: 'ENONPUBLIC' }), address, family);
    callback(null, address, family);
  });
}

/** Connections kept open between webhook deliveries: a rule posting many messages reuses them. */
const DISPATCHER = new Agent({ keepAliveTimeout: 10_000, connections: 64 });
const PUBLIC_DISPATCHER = new Agent({ keepAliveTimeout: 10_000, connections: 64, connect: { lookup: publicLookup } });

/** Why a request failed, without the URL (its query may hold a receiver's token). */
function describe(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  if (code === 'ENONPUBLIC' && error instanceof Error) return error.message;
  if (typeof code === 'string') return `connection failed (${code})`;
  return error instanceof Error ? error.message : String(error);
}

/** A failed POST: a header no receiver could be sent, or a name that resolves to a non-public address, fails every try alike. */
function failure(error: unknown): WebhookAttempt {
  const code = (error as { code?: unknown; cause?: { code?: unknown } }).code ?? (error as { cause?: { code?: unknown } }).cause?.code;
  const final = code === 'UND_ERR_INVALID_ARG' || code === 'ENONPUBLIC';
  return { ok: false, retryable: !final, error: describe(error) };
}

/** 2xx is done; 5xx, 408 and 429 may pass on another try; other answers will not. */
function answered(status: number): WebhookAttempt {
  if (status >= 200 && status < 300) return { ok: true, httpStatus: status };
  const retryable = status >= 500 || status === 408 || status === 429;
  return { ok: false, retryable, httpStatus: status, error: `the receiver answered ${status}` };
}

/** Of a receiver's answer body, what is read (and dropped) before the connection is cut instead. */
const MAX_DRAINED_BODY = 128 * 1024;

/**
 * POSTs a signed webhook once over kept-alive connections (Node's CA trust: its bundled roots plus
 * NODE_EXTRA_CA_CERTS); redirects are not followed. The answer's status is the outcome, known once
 * its headers come: the body is then read and dropped (a slow or broken one cannot turn a delivered
 * POST into a failure that would be sent again), or the connection cut past 128 KiB. 5xx, 408, 429,
 * time-outs and connection failures may be retried; other answers may not. It uses undici's
 * `dispatch` with a handler that keeps only the status: the `request` API's response stream and
 * abort signal cost about three times the CPU per POST, which topic rules pay hundreds of times a
 * second.
 */
export function postWebhook(post: WebhookPost): Promise<WebhookAttempt> {
  const url = URL.parse(post.url);
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:')) return Promise.resolve({ ok: false, retryable: false, error: 'not an http(s) URL' });
  if (post.publicOnly && isNonPublicHost(url.hostname)) return Promise.resolve({ ok: false, retryable: false, error: `${url.hostname} is not a public address` });
  return new Promise((resolve) => {
    let controller: Dispatcher.DispatchController | undefined;
    let settled = false;
    let drained = 0;
    const settle = (attempt: WebhookAttempt): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(attempt);
    };
    // Until the answer's headers come, the whole POST has timeoutMs: a request still queued or
    // connecting is cut as soon as it starts. The body left to drain has undici's bodyTimeout.
    const timer = setTimeout(() => {
      controller?.abort(new Error('timed out'));
      settle({ ok: false, retryable: true, error: 'timed out' });
    }, post.timeoutMs);
    const handler: Dispatcher.DispatchHandler = {
      onRequestStart: (started) => {
        controller = started;
        if (settled) started.abort(new Error('timed out'));
      },
      // An informational 1xx is not the answer; undici passes only the final one here.
      onResponseStart: (_controller, statusCode) => {
        if (statusCode >= 200) settle(answered(statusCode));
      },
      onResponseData: (started, chunk) => {
        drained += chunk.length;
        if (drained > MAX_DRAINED_BODY) started.abort(new Error('answer body too large'));
      },
      onResponseEnd: () => undefined,
      onResponseError: (_controller, error) => settle(failure(error)),
    };
    const dispatcher = post.publicOnly ? PUBLIC_DISPATCHER : DISPATCHER;
    try {
      dispatcher.dispatch(
        {
          origin: url.origin,
          path: `${url.pathname}${url.search}`,
          method: 'POST',
          headers: {
            ...post.headers,
            'content-type': post.contentType ?? 'application/json',
            [WEBHOOK_SIGNATURE_HEADER]: post.signature,
            'user-agent': post.userAgent,
          },
          body: post.body,
          bodyTimeout: post.timeoutMs,
        },
        handler,
      );
    } catch (error) {
      settle(failure(error));
    }
  });
}
