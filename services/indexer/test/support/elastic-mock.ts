import { createRequire } from 'node:module';
import { Client, type ClientOptions } from '@elastic/elasticsearch';

// MOCKED: no Elasticsearch cluster runs here. @elastic/elasticsearch-mock answers canned responses
// at the client's connection, without searching.

/** A request as the mock hands it over (path decoded, ndjson bodies parsed). */
export interface RecordedRequest {
  method: string;
  path: string;
  querystring: Record<string, string>;
  body: unknown;
}

// Jest keeps ES modules and CommonJS modules in separate registries: the mock (CommonJS) only
// recognises error answers built from the CommonJS copy of the client it requires itself.
// The mock is itself CommonJS (`module.exports = Mocker`), which its typings declare as a default export.
const require = createRequire(import.meta.url);
const { errors } = require('@elastic/elasticsearch') as typeof import('@elastic/elasticsearch');
const Mock = require('@elastic/elasticsearch-mock') as typeof import('@elastic/elasticsearch-mock').default;

/** A mock cluster, a client connected to it, and every request it was sent, in order. */
export function mockElastic() {
  const mock = new Mock();
  const requests: RecordedRequest[] = [];
  const record = (answer: (params: RecordedRequest) => Record<string, unknown> | string) => (params: unknown) => {
    const request = params as RecordedRequest;
    requests.push({ method: request.method, path: request.path, querystring: request.querystring ?? {}, body: request.body });
    return answer(request);
  };
  // The mock's typings name the client's CommonJS types, the adapter its ES module types: the same classes.
  const Connection = mock.getConnection() as unknown as ClientOptions['Connection'];
  const client = new Client({ node: 'http://localhost:9200', Connection, maxRetries: 0 });
  return { mock, client, requests, record };
}

export const created = { acknowledged: true };

/** A response with an error status, as the mock serves it. */
export const failure = (statusCode: number, type = 'failure') =>
  new errors.ResponseError({ body: { error: { type, reason: type }, status: statusCode }, statusCode } as never) as never;
