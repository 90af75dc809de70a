import type { z } from 'zod';
import { ErrorEnvelope, INTERNAL_API_PREFIX, SERVICE_TOKEN_HEADER, type ErrorCode } from '@citus/contracts';
import { AppError } from './errors.js';

export interface InternalApiOptions {
  /** Where the other process answers, e.g. `http://device-registry:8080`. */
  url: string;
  /** The platform's service token, the same in every process. */
  serviceToken: string;
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 5_000;

/** What every process answers for a path no route serves (kit's `finishHttpApp`). */
const NO_SUCH_ROUTE = 'no such route';

/** A refusal the adapter did not pass on. */
interface InternalRefusal {
  status: number;
  code?: ErrorCode;
  message?: string;
}

/**
 * Another process's internal API (`/internal/v1`), as `remotePortal` calls the portal's: answers
 * are zod-checked; a refusal the adapter names in `passOn` reaches it as an `AppError` of the
 * peer's code and message (the caller's mistake, answered as in one process); anything else (no
 * answer, a refused service token, a route the process does not serve, an answer of the wrong
 * shape) is `unavailable`, naming `peer`, its address and the cause.
 */
export class InternalApiClient {
  private readonly base: URL;
  private readonly timeoutMs: number;

  constructor(
    private readonly options: InternalApiOptions,
    /** Who answers, for messages: e.g. "the device registry". */
    private readonly peer: string,
  ) {
    this.base = new URL(options.url);
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  async call<S extends z.ZodType>(method: 'GET' | 'POST', path: string, body: unknown, schema: S, passOn: readonly ErrorCode[] = []): Promise<z.infer<S>> {
    const json = await this.request(method, path, body, passOn);
    const parsed = schema.safeParse(json);
    if (!parsed.success) throw new AppError('unavailable', `${this.peer} at ${this.base.origin} answered ${method} ${path} with something unexpected`);
    return parsed.data;
  }

  /** A call whose answer has no body worth reading (204). */
  async send(method: 'POST' | 'DELETE', path: string, body: unknown, passOn: readonly ErrorCode[] = []): Promise<void> {
    await this.request(method, path, body, passOn);
  }

  private async request(method: string, path: string, body: unknown, passOn: readonly ErrorCode[]): Promise<unknown> {
    const origin = this.base.origin;
    let response: Response;
    let text: string;
    try {
      response = await fetch(new URL(`${INTERNAL_API_PREFIX}${path}`, this.base), {
        method,
        headers: { [SERVICE_TOKEN_HEADER]: this.options.serviceToken, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        redirect: 'error',
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      // Inside the try: the time-out also covers the body, and a peer can stall or reset half way.
      text = await response.text();
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).name;
      throw new AppError('unavailable', `${this.peer} cannot be reached at ${origin} (${cause})`);
    }
    const json = text ? safeJson(text) : undefined;
    if (!response.ok) {
      const error = ErrorEnvelope.safeParse(json).data?.error;
      // A route the process does not serve is never the caller's "not found".
      const missingRoute = response.status === 404 && error?.message === NO_SUCH_ROUTE;
      if (error && !missingRoute && passOn.includes(error.code)) throw new AppError(error.code, error.message);
      throw this.failure({ status: response.status, ...(error ? { code: error.code, message: error.message } : {}) });
    }
    return json;
  }

  private failure(refusal: InternalRefusal): AppError {
    const at = `${this.peer} at ${this.base.origin}`;
    if (refusal.status === 403 && refusal.message?.includes(SERVICE_TOKEN_HEADER)) {
      return new AppError('unavailable', `${at} refused this process's service token: CITUS_SERVICE_TOKEN must be the same in every process`);
    }
    if (refusal.status === 404 && refusal.message === NO_SUCH_ROUTE) {
      return new AppError('unavailable', `${at} does not serve its internal API there: is it the right process, with CITUS_SERVICE_TOKEN set?`);
    }
    return new AppError('unavailable', `${at} answered ${refusal.status}${refusal.message ? `: ${refusal.message}` : ''}`);
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
