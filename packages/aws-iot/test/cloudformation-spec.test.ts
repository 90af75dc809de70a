import { readFileSync } from 'node:fs';
import { readTemplate, validateTemplate, type Template } from './support/cloudformation-spec.js';

const TEMPLATES = ['telemetry.yaml', 'registry.yaml', 'storage.yaml', 'services-role.yaml'];

interface Statement {
  Effect: 'Allow' | 'Deny';
  Action?: string | string[];
  NotAction?: unknown;
  NotResource?: unknown;
  Resource?: unknown;
}

/** The statements of every IAM policy document of a template (roles' inline policies, managed policies, bucket policies). */
function iamStatements(template: Template): Statement[] {
  return Object.values(template.Resources).flatMap(({ Type, Properties = {} }) => {
    if (Type === 'AWS::IAM::Role') {
      const policies = (Properties.Policies ?? []) as Array<{ PolicyDocument: { Statement: Statement[] } }>;
      return policies.flatMap((policy) => policy.PolicyDocument.Statement);
    }
    if (Type === 'AWS::IAM::ManagedPolicy' || Type === 'AWS::S3::BucketPolicy') {
      return (Properties.PolicyDocument as { Statement: Statement[] }).Statement;
    }
    return [];
  });
}

const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : [value]);

/** A resource of this stack, or an ARN pinned to the stack's account or to the one bucket the role is given. */
function isScoped(resource: unknown): boolean {
  if (typeof resource !== 'object' || resource === null) return false;
  if ('Fn::GetAtt' in resource || 'Ref' in resource) return true;
  const arn = (resource as { 'Fn::Sub'?: unknown })['Fn::Sub'];
  return typeof arn === 'string' && (arn.includes(':${AWS::AccountId}:') || /^arn:\$\{AWS::Partition\}:s3:::\$\{ArtifactsBucketName\}(\/\*)?$/.test(arn));
}

describe('infra/aws templates against the CloudFormation resource specification', () => {
  it.each(TEMPLATES)('%s declares only existing resource types, properties and attributes, with values of their types', (name) => {
    expect(validateTemplate(readTemplate(name))).toEqual([]);
  });

  it('finds an unknown property, a missing required one, a value of the wrong type and an attribute the type lacks', () => {
    const template = structuredClone(readTemplate('storage.yaml'));
    const bucket = template.Resources.ArtifactsBucket?.Properties as Record<string, unknown>;
    bucket.VersioningConfiguration = {};
    bucket.PublicAccessBlockConfiguration = { BlockPublicAcls: 'yes' };
    bucket.Encryption = { SSEAlgorithm: 'AES256' };
    template.Outputs = { Wrong: { Value: { 'Fn::GetAtt': ['ArtifactsBucket', 'Url'] } } };
    expect(validateTemplate(template).sort()).toEqual([
      'Outputs.Wrong.Value: AWS::S3::Bucket has no attribute Url',
      'Resources.ArtifactsBucket.Properties.Encryption: no such property',
      'Resources.ArtifactsBucket.Properties.PublicAccessBlockConfiguration.BlockPublicAcls: expected a boolean',
      'Resources.ArtifactsBucket.Properties.VersioningConfiguration.Status: required',
    ]);
  });

  it.each(TEMPLATES)('%s allows no wildcard action, no NotAction or NotResource, and no resource "*"', (name) => {
    const allowed = iamStatements(readTemplate(name)).filter((statement) => statement.Effect === 'Allow');
    for (const statement of allowed) {
      expect(statement.NotAction).toBeUndefined();
      expect(statement.NotResource).toBeUndefined();
      expect(list(statement.Action).filter((action) => typeof action !== 'string' || action.includes('*'))).toEqual([]);
      expect(statement.Resource).toBeDefined();
      expect(list(statement.Resource).filter((resource) => !isScoped(resource))).toEqual([]);
    }
  });

  it.each(TEMPLATES)('%s holds no credentials: no IAM users or access keys, no instance user data, no key material', (name) => {
    const template = readTemplate(name);
    const types = Object.values(template.Resources).map((resource) => resource.Type);
    expect(types.filter((type) => /^AWS::IAM::(User|AccessKey)$|LaunchTemplate|LaunchConfiguration|^AWS::EC2::Instance$/.test(type))).toEqual([]);
    const text = readFileSync(new URL(`../../../infra/aws/${name}`, import.meta.url), 'utf8');
    expect(text).not.toMatch(/UserData|AKIA[0-9A-Z]{16}|SecretAccessKey|aws_secret_access_key|BEGIN [A-Z ]*PRIVATE KEY/);
  });
});
