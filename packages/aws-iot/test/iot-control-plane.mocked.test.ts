// Mocked: AWS IoT Core cannot run here, so these tests check the exact requests the adapter sends
// and how it reads AWS's answers, with the SDK client stubbed by aws-sdk-client-mock.
import {
  AttachPolicyCommand,
  AttachThingPrincipalCommand,
  CreateCertificateFromCsrCommand,
  CreatePolicyCommand,
  CreateThingCommand,
  DescribeEndpointCommand,
  DescribeThingCommand,
  DetachPolicyCommand,
  DetachThingPrincipalCommand,
  InvalidRequestException,
  IoTClient,
  ResourceAlreadyExistsException,
  ResourceNotFoundException,
  ThrottlingException,
  UpdateCertificateCommand,
} from '@aws-sdk/client-iot';
import { mockClient } from 'aws-sdk-client-mock';
import { DEFAULT_DEVICE_POLICY } from '../../../services/iot-hub/src/domain/policy/default-policies.js';
import type { DeviceControlPlane } from '../../../services/device-lifecycle/src/domain/control-plane.port.js';
import { AwsIotControlPlane } from '../src/iot-control-plane.js';
import { AwsIotError } from '../src/iot.errors.js';

const account = { region: 'eu-west-1', accountId: '123456789012' };
const CERT_ID = 'a'.repeat(64);
const CERT_ARN = `arn:aws:iot:eu-west-1:123456789012:cert/${CERT_ID}`;
const CSR = '-----BEGIN CERTIFICATE REQUEST-----\nMIIB\n-----END CERTIFICATE REQUEST-----\n';
const thing = { thingName: 'sensor-1-abc', workspaceId: 'ws_1', deviceId: 'dev_1' };

const meta = { $metadata: {} };
const throttled = () => new ThrottlingException({ message: 'Rate exceeded', ...meta });
const exists = () => new ResourceAlreadyExistsException({ message: 'already exists', resourceId: 'x', resourceArn: 'y', ...meta });

function setUp() {
  const client = new IoTClient({ region: account.region });
  const iot = mockClient(client);
  const plane = new AwsIotControlPlane(client, { account, devicePolicyName: 'citus-device', devicePolicyDocument: DEFAULT_DEVICE_POLICY });
  return { iot, plane };
}

async function failureOf(promise: Promise<unknown>): Promise<AwsIotError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(AwsIotError);
  return error as AwsIotError;
}

describe('AwsIotControlPlane (mocked AWS IoT control plane)', () => {
  it('has the shape of the device lifecycle port', () => {
    const port: DeviceControlPlane = setUp().plane;
    expect(typeof port.issueCertificate).toBe('function');
  });

  it('creates the thing with its workspace and device as attributes', async () => {
    const { iot, plane } = setUp();
    iot.on(CreateThingCommand).resolves({ thingName: thing.thingName });
    await plane.registerThing(thing);
    expect(iot.commandCalls(CreateThingCommand).map((call) => call.args[0].input)).toEqual([
      { thingName: 'sensor-1-abc', attributePayload: { attributes: { workspaceId: 'ws_1', deviceId: 'dev_1' } } },
    ]);
  });

  it('treats an existing thing of the same device as registered, and one of another workspace as a conflict', async () => {
    const { iot, plane } = setUp();
    iot.on(CreateThingCommand).rejects(exists());
    iot.on(DescribeThingCommand).resolvesOnce({ attributes: { workspaceId: 'ws_1', deviceId: 'dev_1' } });
    await plane.registerThing(thing);

    iot.on(DescribeThingCommand).resolves({ attributes: { workspaceId: 'ws_2', deviceId: 'dev_9' } });
    const error = await failureOf(plane.registerThing(thing));
    expect(error.failure).toBe('conflict');
    expect(error.retryable).toBe(false);
  });

  it('issues a certificate from the CSR, active, attached to the thing and the device policy', async () => {
    const { iot, plane } = setUp();
    iot.on(CreateCertificateFromCsrCommand).resolves({ certificateArn: CERT_ARN, certificateId: CERT_ID, certificatePem: 'PEM' });
    iot.on(AttachThingPrincipalCommand).resolves({});
    iot.on(AttachPolicyCommand).resolves({});

    expect(await plane.issueCertificate(thing.thingName, CSR)).toEqual({ certificateId: CERT_ID, certificatePem: 'PEM' });
    expect(iot.commandCalls(CreateCertificateFromCsrCommand).map((call) => call.args[0].input)).toEqual([{ certificateSigningRequest: CSR, setAsActive: true }]);
    expect(iot.commandCalls(AttachThingPrincipalCommand).map((call) => call.args[0].input)).toEqual([{ thingName: 'sensor-1-abc', principal: CERT_ARN }]);
    expect(iot.commandCalls(AttachPolicyCommand).map((call) => call.args[0].input)).toEqual([{ policyName: 'citus-device', target: CERT_ARN }]);
  });

  it('answers an unusable CSR with a clear, non-retryable error and attaches nothing', async () => {
    const { iot, plane } = setUp();
    iot.on(CreateCertificateFromCsrCommand).rejects(new InvalidRequestException({ message: 'The certificate signing request is not valid', ...meta }));
    const error = await failureOf(plane.issueCertificate(thing.thingName, 'not a csr'));
    expect(error.failure).toBe('invalid_request');
    expect(error.retryable).toBe(false);
    expect(error.message).toBe('AWS IoT CreateCertificateFromCsr failed: invalid_request: The certificate signing request is not valid');
    expect(iot.commandCalls(AttachThingPrincipalCommand)).toHaveLength(0);
  });

  it('answers throttling with a retryable error naming the operation', async () => {
    const { iot, plane } = setUp();
    iot.on(CreateCertificateFromCsrCommand).resolves({ certificateArn: CERT_ARN, certificateId: CERT_ID, certificatePem: 'PEM' });
    iot.on(AttachThingPrincipalCommand).rejects(throttled());
    const error = await failureOf(plane.issueCertificate(thing.thingName, CSR));
    expect(error).toMatchObject({ failure: 'throttled', retryable: true, operation: 'AttachThingPrincipal' });
    expect(iot.commandCalls(AttachPolicyCommand)).toHaveLength(0);
  });

  it('passes on errors AWS IoT did not answer with, unchanged', async () => {
    const { iot, plane } = setUp();
    const bug = new TypeError('credentials provider returned nothing');
    iot.on(CreateCertificateFromCsrCommand).rejects(bug);
    await expect(plane.issueCertificate(thing.thingName, CSR)).rejects.toBe(bug);
  });

  it('revokes the certificate first, then detaches it from the thing and the policy', async () => {
    const { iot, plane } = setUp();
    iot.on(UpdateCertificateCommand).resolves({});
    iot.on(DetachThingPrincipalCommand).resolves({});
    iot.on(DetachPolicyCommand).resolves({});
    await plane.revokeCertificate(thing.thingName, CERT_ID);
    const names = iot.calls().map((call) => (call.args[0] as { constructor: { name: string } }).constructor.name);
    expect(names).toEqual(['UpdateCertificateCommand', 'DetachThingPrincipalCommand', 'DetachPolicyCommand']);
    expect(iot.commandCalls(UpdateCertificateCommand).map((call) => call.args[0].input)).toEqual([{ certificateId: CERT_ID, newStatus: 'REVOKED' }]);
    expect(iot.commandCalls(DetachThingPrincipalCommand).map((call) => call.args[0].input)).toEqual([{ thingName: 'sensor-1-abc', principal: CERT_ARN }]);
    expect(iot.commandCalls(DetachPolicyCommand).map((call) => call.args[0].input)).toEqual([{ policyName: 'citus-device', target: CERT_ARN }]);
  });

  it('revokes again without error when the attachments are already gone', async () => {
    const { iot, plane } = setUp();
    iot.on(UpdateCertificateCommand).resolves({});
    iot.on(DetachThingPrincipalCommand).rejects(new ResourceNotFoundException({ message: 'no such attachment', ...meta }));
    iot.on(DetachPolicyCommand).rejects(new ResourceNotFoundException({ message: 'no such attachment', ...meta }));
    await expect(plane.revokeCertificate(thing.thingName, CERT_ID)).resolves.toBeUndefined();
  });

  it('does not detach a certificate it could not revoke', async () => {
    const { iot, plane } = setUp();
    iot.on(UpdateCertificateCommand).rejects(throttled());
    const error = await failureOf(plane.revokeCertificate(thing.thingName, CERT_ID));
    expect(error).toMatchObject({ failure: 'throttled', retryable: true, operation: 'UpdateCertificate' });
    expect(iot.commandCalls(DetachThingPrincipalCommand)).toHaveLength(0);
  });

  it('asks for the ATS data endpoint once, and again after a failure', async () => {
    const { iot, plane } = setUp();
    iot.on(DescribeEndpointCommand).rejectsOnce(throttled()).resolves({ endpointAddress: 'abc-ats.iot.eu-west-1.amazonaws.com' });
    expect((await failureOf(plane.mqttEndpoint())).retryable).toBe(true);
    expect(await plane.mqttEndpoint()).toBe('abc-ats.iot.eu-west-1.amazonaws.com');
    expect(await plane.mqttEndpoint()).toBe('abc-ats.iot.eu-west-1.amazonaws.com');
    expect(iot.commandCalls(DescribeEndpointCommand).map((call) => call.args[0].input)).toEqual([
      { endpointType: 'iot:Data-ATS' },
      { endpointType: 'iot:Data-ATS' },
    ]);
  });

  it('creates the device policy pinned to the account, and leaves an existing one alone', async () => {
    const { iot, plane } = setUp();
    iot.on(CreatePolicyCommand).resolvesOnce({}).rejects(exists());
    await plane.ensureDevicePolicy();
    await plane.ensureDevicePolicy();
    const [input] = iot.commandCalls(CreatePolicyCommand).map((call) => call.args[0].input);
    expect(input?.policyName).toBe('citus-device');
    const document = JSON.parse(input?.policyDocument ?? '') as { Statement: Array<{ Sid: string; Resource: string | string[] }> };
    expect(document.Statement.slice(0, 1)).toEqual([{
      Sid: 'ConnectAsItsThing',
      Effect: 'Allow',
      Action: 'iot:Connect',
      Resource: 'arn:aws:iot:eu-west-1:123456789012:client/${iot:Connection.Thing.ThingName}',
    }]);
    expect(document.Statement[1]?.Resource).toContain('arn:aws:iot:eu-west-1:123456789012:topic/telemetry/${iot:Connection.Thing.ThingName}/*');
    expect(JSON.stringify(document)).not.toContain(':*:*:');
    expect(document.Statement.map((statement) => statement.Sid)).toEqual(['ConnectAsItsThing', 'PublishOwnTopics', 'SubscribeOwnTopics', 'ReceiveOwnTopics']);
  });

  it('answers a malformed policy with a clear error', async () => {
    const { iot, plane } = setUp();
    iot.on(CreatePolicyCommand).rejects(new InvalidRequestException({ message: 'Policy document is malformed', ...meta }));
    const error = await failureOf(plane.ensureDevicePolicy());
    expect(error).toMatchObject({ failure: 'invalid_request', retryable: false, operation: 'CreatePolicy' });
  });
});
