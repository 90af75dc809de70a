import { AppError } from '@citus/kit';
import { RuntimeError } from '../domain/container-runtime.port.js';

const CODE_BY_RUNTIME_CODE = {
  unavailable: 'unavailable',
  not_found: 'not_found',
  conflict: 'conflict',
  // Asking a single engine to scale is a request the deployment's runtime cannot do, as a state conflict would be.
  unsupported: 'conflict',
  failed: 'internal',
} as const satisfies Record<RuntimeError['code'], AppError['code']>;

/** The engine's refusals as API errors, with the engine's message (which names DOCKER_HOST when none answers). */
export function toAppError(error: unknown): unknown {
  if (!(error instanceof RuntimeError)) return error;
  return new AppError(CODE_BY_RUNTIME_CODE[error.code], error.message);
}

export async function runtimeCall<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw toAppError(error);
  }
}
