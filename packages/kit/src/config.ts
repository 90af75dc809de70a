import { z } from 'zod';

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Parses the environment once against a service's schema; throws every problem at once. A
 * variable set to the empty string counts as unset, as shells and compose files often leave them.
 */
export function parseConfig<S extends z.ZodType>(schema: S, env: NodeJS.ProcessEnv = process.env): z.infer<S> {
  const present = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== ''));
  const result = schema.safeParse(present);
  if (result.success) return result.data;
  throw new ConfigError(
    result.error.issues.map((issue) => `${issue.path.join('.') || '(env)'}: ${issue.message}`),
  );
}

/** Shared pieces of config schemas. */
export const port = (fallback: number) => z.coerce.number().int().min(0).max(65535).default(fallback);
export const logLevel = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info');
/** A DNS name or an IPv4/IPv6 address, as certificates and endpoints need. */
export const hostName = z
  .string()
  .regex(
    /^(?:(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*|(?:\d{1,3}\.){3}\d{1,3}|[0-9a-fA-F:]*:[0-9a-fA-F:.]*)$/,
    'a host name or IP address',
  )
  .refine((value) => !/^[\d.]+$/.test(value) || /^(?:\d{1,3}\.){3}\d{1,3}$/.test(value), 'an IPv4 address has four parts');

export const commaList = z
  .string()
  .default('')
  .transform((value) => value.split(',').map((item) => item.trim()).filter(Boolean));

export const hostNameList = commaList.pipe(z.array(hostName));

const AWS_REGION_FORMAT = /^[a-z]{2}(-[a-z]+)+-\d+$/;

/**
 * The DynamoDB connection every service with a DynamoDB store reads (the same variables, so one
 * environment configures them all).
 */
export const dynamoDbFields = {
  // Optional here and required by the schema that chose DynamoDB: other tools set it too, and it
  // must not stop the embedded mode.
  AWS_REGION: z
    .string()
    .optional()
    .describe(
      'with `dynamodb` (telemetry or registry store): the region (required); credentials come from the AWS SDK\'s default chain. Ignored otherwise',
    ),
  CITUS_DYNAMODB_ENDPOINT: z
    .url({ protocol: /^https?$/ })
    .optional()
    .describe(
      'with `dynamodb`: DynamoDB Local\'s URL, e.g. `http://localhost:8000` (any credentials are accepted there, and it serves DynamoDB Streams too); unset for AWS',
    ),
  CITUS_DYNAMODB_TABLE_PREFIX: z
    .string()
    .max(200)
    .regex(/^[a-zA-Z0-9_.-]*$/, 'letters, digits, _ . - (DynamoDB table name characters)')
    .default('')
    .describe(
      'with `dynamodb`: prefix of the table names (`telemetry`, `telemetry-displaced`, `telemetry-dead-letters`, `telemetry-topics`, `registry`, `indexer-checkpoints`), so several installations can share one account and region',
    ),
};

/** The telemetry store, read by the hub that writes it and by every service that follows it. */
export const telemetryStore = z
  .enum(['sqlite', 'dynamodb'])
  .default('sqlite')
  .describe(
    [
      'where the hub stores telemetry: `sqlite` (`telemetry.db`) or `dynamodb` (tables created on DynamoDB Local; on AWS they must exist, from `infra/aws/telemetry.yaml`).',
      'With `dynamodb`, retention is DynamoDB TTL stamped on new items from the workspace\'s period (a later change applies to new items).',
      'Aggregates are computed by the hub from the items of the range, at most 200,000 per request (more answers 400: choose a shorter range or name a stream).',
      'Latest values come from the `<prefix>telemetry-topics` table, where the hub registers each topic it stores; topics only ever written by the AWS IoT rule are not listed there.',
      'Retention settings stay in `telemetry.db`.',
      'The indexer and the analytics detectors follow the same setting: with `dynamodb` they read the telemetry table\'s DynamoDB Stream instead of the change log in `telemetry.db`;',
      'the indexer refuses to start when the table, its stream or its new image is missing, and keeps its checkpoints in the `<prefix>indexer-checkpoints` table, created when missing',
    ].join(' '),
  );

/** The registry store, read by the device lifecycle that writes it and by the services that follow its stream. */
export const registryStore = z
  .enum(['sqlite', 'dynamodb'])
  .default('sqlite')
  .describe(
    [
      'where the device registry is stored: `sqlite` (`devices.db`) or `dynamodb` (the `<prefix>registry` table with a stream of new and old images, created on DynamoDB Local; on AWS it must exist).',
      'The hub\'s per-connect and per-publish checks are answered from memory, loaded at start and kept by this instance\'s own writes;',
      'on `dynamodb` also by the table\'s stream, so a device declared, activated, revoked or deleted on another instance (or by a registry in another process) is seen within about a second.',
      'An indexer without the registry in its process follows the same stream for devices',
    ].join(' '),
  );

/** The MQTT endpoint, read by the device lifecycle that hands it to devices and by the hub that certifies it. */
export const mqttEndpoint = hostName
  .default('localhost')
  .describe('host name devices are told to connect to; always in the hub\'s certificate');

/** For a schema's superRefine: AWS_REGION must be set, and look like a region, when `setting` chose DynamoDB. */
export function requireAwsRegion(region: string | undefined, setting: string, context: z.RefinementCtx, value = 'dynamodb'): void {
  if (!region) {
    context.addIssue({ code: 'custom', path: ['AWS_REGION'], message: `required when ${setting} is ${value}` });
  } else if (!AWS_REGION_FORMAT.test(region)) {
    context.addIssue({ code: 'custom', path: ['AWS_REGION'], message: 'an AWS region such as eu-west-1' });
  }
}
