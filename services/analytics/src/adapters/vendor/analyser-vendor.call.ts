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
    if (!response.ok) {
      await response.body?.cancel();
      return { ok: false, status: 'error', error: `the vendor answered ${response.status}` };
    }
    const text = await readCapped(response, MAX_REPLY_BYTES);
    if (text === undefined) return { ok: false, status: 'error', error: "the vendor's answer is too large" };
    const parsed = reply.safeParse(safeJson(text));
    if (!parsed.success) return { ok: false, status: 'error', error: `the vendor's answer is not of the expected shape: ${parsed.error.issues[0]?.message ?? 'invalid'}` };
    return { ok: true, reply: parsed.data };
  } catch (error) {
    if (init.signal.aborted || (error instanceof DOMException && error.name === 'TimeoutError')) return { ok: false, status: 'timeout', error: 'the vendor did not answer in time' };
    const cause = (error as { cause?: { code?: unknown } }).cause;
    return { ok: false, status: 'error', error: typeof cause?.code === 'string' ? `the vendor cannot be reached (${cause.code})` : 'the vendor cannot be reached' };
  }
}

/**
 * The body as text, or undefined once it passes `limit` bytes (the rest is then not read): a
 * declared content-length may be absent (chunked) or false, so the bytes themselves are counted.
 */
async function readCapped(response: Response, limit: number): Promise<string | undefined> {
  if (!response.body) return '';
  if (Number(response.headers.get('content-length') ?? 0) > limit) {
    await response.body.cancel();
    return undefined;
  }
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let bytes = 0;
  for (let read = await reader.read(); !read.done; read = await reader.read()) {
    bytes += read.value.byteLength;
    if (bytes > limit) {
      await reader.cancel();
      return undefined;
    }
    chunks.push(read.value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
