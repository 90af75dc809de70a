import { errors } from '@elastic/elasticsearch';

/** Statuses after which the same request may succeed later: the cluster is busy, not the request wrong. */
const RETRYABLE_STATUSES = new Set([429, 503]);

/**
 * An expected failure of the Elasticsearch index, as a value the indexer can act on: `retryable`
 * means "back off and hand the same batch again" (the writes are idempotent); otherwise the batch
 * holds documents the cluster will keep refusing. `failedIds` names them for a bulk write.
 */
export class SearchIndexError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly failedIds: string[] = [],
    readonly status?: number,
  ) {
    super(message);
    this.name = 'SearchIndexError';
  }
}

export const isRetryableStatus = (status: number): boolean => RETRYABLE_STATUSES.has(status);

/**
 * The client's own failures as `SearchIndexError`: a response status, or no response at all (the
 * client has already retried connection failures `maxRetries` times), which is worth retrying later.
 * Anything else (a bug, a bad argument) is passed on unchanged, since calling it retryable would hide it.
 */
export function fromClientError(error: unknown, action: string): unknown {
  if (error instanceof errors.ResponseError) {
    const status = error.statusCode ?? 500;
    return new SearchIndexError(`${action} failed with status ${status}: ${error.message}`, isRetryableStatus(status), [], status);
  }
  if (error instanceof errors.ConnectionError || error instanceof errors.TimeoutError || error instanceof errors.NoLivingConnectionsError) {
    return new SearchIndexError(`${action} failed: ${error.message}`, true);
  }
  return error;
}
