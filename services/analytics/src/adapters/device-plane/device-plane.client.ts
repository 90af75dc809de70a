import type { z } from 'zod';
import { INTERNAL_THING_NOT_FOUND } from '@citus/contracts';
import { AppError, InternalApiClient, type InternalApiOptions } from '@citus/kit';

/** Where the hub's process answers (whose a thing is, shadows, telemetry), e.g. `http://platform:8080`. */
export type DevicePlaneOptions = InternalApiOptions;

/**
 * The hub's internal API (`/internal/v1`) through kit's client: a thing that is not the
 * workspace's is `undefined` (the caller decides what that means); anything else that goes wrong
 * (no answer, a refused service token, a route the process does not serve, an answer of the
 * wrong shape) is `unavailable`, naming the cause.
 */
export class DevicePlaneClient {
  private readonly client: InternalApiClient;

  constructor(options: DevicePlaneOptions) {
    this.client = new InternalApiClient(options, 'the device plane');
  }

  async call<S extends z.ZodType>(method: 'GET' | 'POST', path: string, body: unknown, schema: S): Promise<z.infer<S> | undefined> {
    try {
      return await this.client.call(method, path, body, schema, ['not_found']);
    } catch (error) {
      if (error instanceof AppError && error.code === 'not_found' && error.message === INTERNAL_THING_NOT_FOUND) return undefined;
      throw error;
    }
  }
}
