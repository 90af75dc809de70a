import type { PolicyDocument } from '@citus/contracts';

/**
 * The policies the hub applies without being told. Region and account are `*`: the hub does not
 * compare them (policies are scoped to a workspace), and `*` keeps the documents valid on AWS IoT.
 */
const ARN = 'arn:aws:iot:*:*:';
const THING = '${iot:Connection.Thing.ThingName}';

const topics = (kind: 'topic' | 'topicfilter', names: string[]): string[] => names.map((name) => `${ARN}${kind}/${name}`);

/** A thing's own reserved topics (Device Shadow, classic and named, and Jobs) and its free `things/` space. */
const ownTopics = [`$aws/things/${THING}/shadow/*`, `$aws/things/${THING}/jobs/*`, `things/${THING}/*`];

/**
 * Least privilege, attached implicitly to every device certificate: connect only as its own thing,
 * publish telemetry under its own name, and use only its own shadow, jobs and `things/{name}/`
 * topics. With `${iot:Connection.Thing.ThingName}` a certificate with no thing gets nothing.
 */
export const DEFAULT_DEVICE_POLICY: PolicyDocument = {
  Version: '2012-10-17',
  Statement: [
    { Sid: 'ConnectAsItsThing', Effect: 'Allow', Action: 'iot:Connect', Resource: `${ARN}client/${THING}` },
    {
      Sid: 'PublishOwnTopics',
      Effect: 'Allow',
      Action: 'iot:Publish',
      Resource: topics('topic', [`telemetry/${THING}`, `telemetry/${THING}/*`, ...ownTopics]),
    },
    { Sid: 'SubscribeOwnTopics', Effect: 'Allow', Action: 'iot:Subscribe', Resource: topics('topicfilter', ownTopics) },
    { Sid: 'ReceiveOwnTopics', Effect: 'Allow', Action: 'iot:Receive', Resource: topics('topic', ownTopics) },
  ],
};

/** A template name as a literal in a resource: `*`, `?` and `$` written as AWS's `$(*)`, `$(?)`, `$($)`. */
const literal = (text: string): string => text.replace(/[$*?]/g, (char) => `$(${char})`);

/**
 * The policy of a claim certificate (fleet provisioning by claim), as AWS's guide to provisioning
 * by claim writes it: any client id (a batch of devices shares the certificate), and only the
 * topics that create a certificate and register a thing from `templateName`.
 */
export function claimPolicy(templateName: string): PolicyDocument {
  const names = [
    '$aws/certificates/create/*',
    '$aws/certificates/create-from-csr/*',
    `$aws/provisioning-templates/${literal(templateName)}/provision/*`,
  ];
  return {
    Version: '2012-10-17',
    Statement: [
      { Sid: 'ConnectAnyClient', Effect: 'Allow', Action: 'iot:Connect', Resource: `${ARN}client/*` },
      { Sid: 'ProvisioningTopics', Effect: 'Allow', Action: ['iot:Publish', 'iot:Receive'], Resource: topics('topic', names) },
      { Sid: 'ProvisioningFilters', Effect: 'Allow', Action: 'iot:Subscribe', Resource: topics('topicfilter', names) },
    ],
  };
}
