import {
  AttachPolicyCommand,
  AttachThingPrincipalCommand,
  CreateCertificateFromCsrCommand,
  CreatePolicyCommand,
  CreateThingCommand,
  CreateTopicRuleCommand,
  DescribeEndpointCommand,
  DescribeThingCommand,
  DetachPolicyCommand,
  DetachThingPrincipalCommand,
  type IoTClient,
  ReplaceTopicRuleCommand,
  type TopicRulePayload,
  UpdateCertificateCommand,
} from '@aws-sdk/client-iot';
import { type AwsAccount, certificateArn, type IotPolicyDocument, renderPolicyDocument } from './device-policy.js';
import { asAwsIotError, AwsIotError, failureOf } from './iot.errors.js';

export interface AwsIotControlPlaneOptions {
  account: AwsAccount;
  /** The policy attached to every device certificate. */
  devicePolicyName: string;
  /** The hub's default device policy document; pinned to `account` before it is created. */
  devicePolicyDocument: IotPolicyDocument;
}

/** Thing attributes: where a thing belongs, so a thing name clash across workspaces is noticed. */
export interface AwsThing {
  thingName: string;
  workspaceId: string;
  deviceId: string;
}

/**
 * The device lifecycle's control plane on AWS IoT Core: things, certificates from device CSRs,
 * the device policy, revocation, the data endpoint and the telemetry rules. Its methods match the
 * `DeviceControlPlane` port of device-lifecycle; failures AWS IoT answers with are `AwsIotError`s.
 */
export class AwsIotControlPlane {
  private endpoint: Promise<string> | undefined;

  constructor(
    private readonly client: IoTClient,
    private readonly options: AwsIotControlPlaneOptions,
  ) {}

  /**
   * CreateThing with the same attributes is idempotent on AWS; a thing that exists with other
   * attributes answers ResourceAlreadyExists, which is fine if it is this device's thing.
   */
  async registerThing(thing: AwsThing): Promise<void> {
    const attributes = { workspaceId: thing.workspaceId, deviceId: thing.deviceId };
    try {
      await this.client.send(new CreateThingCommand({ thingName: thing.thingName, attributePayload: { attributes } }));
    } catch (error) {
      if (failureOf(error) !== 'conflict') throw asAwsIotError('CreateThing', error);
      const existing = await this.call('DescribeThing', () => this.client.send(new DescribeThingCommand({ thingName: thing.thingName })));
      if (existing.attributes?.workspaceId !== thing.workspaceId || existing.attributes?.deviceId !== thing.deviceId) {
        throw new AwsIotError('conflict', 'CreateThing', `thing ${thing.thingName} exists and belongs to another device`);
      }
    }
  }

  /**
   * AWS IoT signs the CSR with its own CA and keeps the certificate active; it is then bound to the
   * thing and the device policy. Until both attachments exist it can do nothing (the policy names
   * `${iot:Connection.Thing.ThingName}`), so a failure half-way leaves no usable credential.
   */
  async issueCertificate(thingName: string, csrPem: string): Promise<{ certificateId: string; certificatePem: string }> {
    const created = await this.call('CreateCertificateFromCsr', () =>
      this.client.send(new CreateCertificateFromCsrCommand({ certificateSigningRequest: csrPem, setAsActive: true })),
    );
    if (!created.certificateArn || !created.certificateId || !created.certificatePem) {
      throw new AwsIotError('unavailable', 'CreateCertificateFromCsr', 'the answer carries no certificate');
    }
    const principal = created.certificateArn;
    await this.call('AttachThingPrincipal', () => this.client.send(new AttachThingPrincipalCommand({ thingName, principal })));
    await this.call('AttachPolicy', () =>
      this.client.send(new AttachPolicyCommand({ policyName: this.options.devicePolicyName, target: principal })),
    );
    return { certificateId: created.certificateId, certificatePem: created.certificatePem };
  }

  /**
   * Revoked first, so the certificate is refused from that moment; the detachments only tidy up
   * and may already have happened on an earlier attempt.
   */
  async revokeCertificate(thingName: string, certificateId: string): Promise<void> {
    await this.call('UpdateCertificate', () => this.client.send(new UpdateCertificateCommand({ certificateId, newStatus: 'REVOKED' })));
    const principal = certificateArn(this.options.account, certificateId);
    await this.tolerateMissing('DetachThingPrincipal', () => this.client.send(new DetachThingPrincipalCommand({ thingName, principal })));
    await this.tolerateMissing('DetachPolicy', () =>
      this.client.send(new DetachPolicyCommand({ policyName: this.options.devicePolicyName, target: principal })),
    );
  }

  /** The account's ATS data endpoint (the legacy Symantec-signed one is not offered to devices). */
  mqttEndpoint(): Promise<string> {
    this.endpoint ??= this.call('DescribeEndpoint', () => this.client.send(new DescribeEndpointCommand({ endpointType: 'iot:Data-ATS' })))
      .then((answer) => {
        if (!answer.endpointAddress) throw new AwsIotError('unavailable', 'DescribeEndpoint', 'the answer carries no address');
        return answer.endpointAddress;
      })
      .catch((error: unknown) => {
        this.endpoint = undefined;
        throw error;
      });
    return this.endpoint;
  }

  /**
   * Creates the device policy pinned to the account. An existing policy is left as it is: a new
   * version would need the oldest of AWS's five versions deleted, a deliberate migration step.
   */
  async ensureDevicePolicy(): Promise<void> {
    const document = renderPolicyDocument(this.options.devicePolicyDocument, this.options.account);
    try {
      await this.client.send(
        new CreatePolicyCommand({ policyName: this.options.devicePolicyName, policyDocument: JSON.stringify(document) }),
      );
    } catch (error) {
      if (failureOf(error) !== 'conflict') throw asAwsIotError('CreatePolicy', error);
    }
  }

  /** Creates the topic rule, or replaces it when one of that name exists, so a redeploy converges. */
  async putTopicRule(ruleName: string, topicRulePayload: TopicRulePayload): Promise<void> {
    try {
      await this.client.send(new CreateTopicRuleCommand({ ruleName, topicRulePayload }));
    } catch (error) {
      if (failureOf(error) !== 'conflict') throw asAwsIotError('CreateTopicRule', error);
      await this.call('ReplaceTopicRule', () => this.client.send(new ReplaceTopicRuleCommand({ ruleName, topicRulePayload })));
    }
  }

  private async call<T>(operation: string, send: () => Promise<T>): Promise<T> {
    try {
      return await send();
    } catch (error) {
      throw asAwsIotError(operation, error);
    }
  }

  private async tolerateMissing(operation: string, send: () => Promise<unknown>): Promise<void> {
    try {
      await send();
    } catch (error) {
      if (failureOf(error) !== 'not_found') throw asAwsIotError(operation, error);
    }
  }
}
