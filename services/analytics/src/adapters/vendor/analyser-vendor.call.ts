import type { z } from 'zod';
import type { AnalysisOutcome } from '../../domain/analyser.port.js';

/** Vendors' answers past this size are refused unread: an image analysis is a few KB. */
const MAX_REPLY_BYTES = 1024 * 1024;

/**
 * Calls a vendor and checks its JSON answer against `reply`. Every failure (time-out, refused
 * connection, error status, oversized or malformed answer) is a value; none of its messages holds
 * the request's headers, so the API key never reaches a log or a stored status.
 */
export async function callVendor<S extends z.ZodType>(
  url: string,
  init: { headers: Record<string, string>; body: string | FormData; signal: AbortSignal },
  reply: S,
): Promise<{ ok: true; reply: z.infer<S> } | Extract<AnalysisOutcome, { ok: false }>> {
  try {
    const response = await fetch(url, { method: 'POST', redirect: 'manual', ...init });
    const declared = Number(response.headers.get('content-length') ?? 0);
    if (declared > MAX_REPLY_BYTES) {
      await response.body?.cancel();
      return { ok: false, status: 'error', error: `the vendor's answer is too large (${declared} bytes)` };
    }
    const text = await response.text();
    if (!response.ok) return { ok: false, status: 'error', error: `the vendor answered ${response.status}` };
    if (text.length > MAX_REPLY_BYTES) return { ok: false, status: 'error', error: "the vendor's answer is too large" };
    const parsed = reply.safeParse(safeJson(text));
    if (!parsed.success) return { ok: false, status: 'error', error: `the vendor's answer is not of the expected shape: ${parsed.error.issues[0]?.message ?? 'invalid'}` };
    return { ok: true, reply: parsed.data };
  } catch (error) {
    if (init.signal.aborted || (error instanceof DOMException && error.name === 'TimeoutError')) return { ok: false, status: 'timeout', error: 'the vendor did not answer in time' };
    const cause = (error as { cause?: { code?: unknown } }).cause;
    return { ok: false, status: 'error', error: typeof cause?.code === 'string' ? `the vendor cannot be reached (${cause.code})` : 'the vendor cannot be reached' };
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
