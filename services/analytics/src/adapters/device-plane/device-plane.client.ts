import type { z } from 'zod';
import { ErrorEnvelope, INTERNAL_API_PREFIX, INTERNAL_THING_NOT_FOUND, SERVICE_TOKEN_HEADER } from '@citus/contracts';
import { AppError } from '@citus/kit';

export interface DevicePlaneOptions {
  /** Where the hub's process answers (whose a thing is, shadows, telemetry), e.g. `http://device-plane:8080`. */
  url: string;
  /** The platform's service token, the same in every process. */
  serviceToken: string;
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 5_000;

/**
 * The device plane's internal API (`/internal/v1`), as kit's `remotePortal` calls the portal's:
 * answers are zod-checked; a thing that is not the workspace's is `undefined` (the caller decides
 * what that means); anything else that goes wrong (no answer, a refused service token, a route
 * the process does not serve, an answer of the wrong shape) is `unavailable`, naming the cause.
 */
export class DevicePlaneClient {
  private readonly base: URL;
  private readonly timeoutMs: number;

  constructor(private readonly options: DevicePlaneOptions) {
    this.base = new URL(options.url);
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  async call<S extends z.ZodType>(method: 'GET' | 'POST', path: string, body: unknown, schema: S): Promise<z.infer<S> | undefined> {
    const origin = this.base.origin;
    let response: Response;
    try {
      response = await fetch(new URL(`${INTERNAL_API_PREFIX}${path}`, this.base), {
        method,
        headers: { [SERVICE_TOKEN_HEADER]: this.options.serviceToken, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        redirect: 'error',
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).name;
      throw new AppError('unavailable', `the device plane cannot be reached at ${origin} (${cause})`);
    }
    const text = await response.text();
    const json = text ? safeJson(text) : undefined;
    if (!response.ok) {
      const error = ErrorEnvelope.safeParse(json).data?.error;
      if (response.status === 404 && error?.message === INTERNAL_THING_NOT_FOUND) return undefined;
      throw failure(response.status, error?.message, origin);
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) throw new AppError('unavailable', `the device plane at ${origin} answered ${method} ${path} with something unexpected`);
    return parsed.data;
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function failure(status: number, message: string | undefined, origin: string): AppError {
  if (status === 403) return new AppError('unavailable', `the device plane at ${origin} refused this process's service token: CITUS_SERVICE_TOKEN must be the same in every process`);
  if (status === 404) {
    return new AppError('unavailable', `the device plane at ${origin} does not serve its internal API: is it the device plane's process, with CITUS_SERVICE_TOKEN set?`);
  }
  return new AppError('unavailable', `the device plane at ${origin} answered ${status}${message ? `: ${message}` : ''}`);
}
