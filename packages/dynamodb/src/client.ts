import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

export interface DynamoConfig {
  region: string;
  /** DynamoDB Local (or another endpoint); unset for AWS. */
  endpoint?: string;
  /** Prepended to every table name, so several installations can share an account. */
  tablePrefix?: string;
}

export interface DynamoClients {
  client: DynamoDBClient;
  /** Marshals plain JS values; `undefined` attributes are dropped rather than rejected. */
  documents: DynamoDBDocumentClient;
  destroy(): void;
}

/**
 * DynamoDB Local checks that a request is signed but accepts any key, so it gets fixed fake
 * credentials; against AWS the SDK's default provider chain applies (environment, shared config,
 * SSO, container and instance roles), so no secret ever passes through our config.
 */
export function createDynamoClients(config: DynamoConfig): DynamoClients {
  const client = new DynamoDBClient({
    region: config.region,
    ...(config.endpoint
      ? { endpoint: config.endpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }
      : {}),
  });
  const documents = DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true },
  });
  return { client, documents, destroy: () => client.destroy() };
}
