import { Client } from '@elastic/elasticsearch';

export interface ElasticClientConfig {
  /** The cluster's URL, without credentials (the config refuses them there). */
  url: string;
  /** Sent as `Authorization: ApiKey`; never logged. */
  apiKey?: string;
}

/** The Elasticsearch client of the indexer: one node URL, an API key when the cluster wants one. */
export function createElasticClient(config: ElasticClientConfig): Client {
  return new Client({ node: config.url, ...(config.apiKey === undefined ? {} : { auth: { apiKey: config.apiKey } }) });
}
