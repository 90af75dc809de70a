import { readTemplate } from './support/cloudformation-spec.js';

const template = readTemplate('storage.yaml');
const bucket = template.Resources.ArtifactsBucket;
const properties = bucket?.Properties ?? {};

interface Statement {
  Sid: string;
  Effect: string;
  Principal: unknown;
  Action: unknown;
  Resource: unknown;
  Condition: unknown;
}
const statements = (template.Resources.ArtifactsBucketPolicy?.Properties?.PolicyDocument as { Statement: Statement[] }).Statement;
const BUCKET_AND_OBJECTS = [{ 'Fn::GetAtt': ['ArtifactsBucket', 'Arn'] }, { 'Fn::Sub': '${ArtifactsBucket.Arn}/*' }];

describe('infra/aws/storage.yaml', () => {
  it('encrypts every object at rest by default', () => {
    expect(properties.BucketEncryption).toEqual({
      ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
    });
  });

  it('blocks every form of public access and turns ACLs off', () => {
    expect(properties.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    expect(properties.OwnershipControls).toEqual({ Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] });
    expect(properties).not.toHaveProperty('AccessControl');
    expect(properties).not.toHaveProperty('WebsiteConfiguration');
  });

  it('keeps versions, expires noncurrent ones after the parameter days, and is retained with the stack', () => {
    expect(properties.VersioningConfiguration).toEqual({ Status: 'Enabled' });
    const rules = (properties.LifecycleConfiguration as { Rules: Array<Record<string, unknown>> }).Rules;
    expect(rules).toContainEqual(
      expect.objectContaining({ Status: 'Enabled', NoncurrentVersionExpiration: { NoncurrentDays: { Ref: 'NoncurrentVersionDays' } } }),
    );
    expect(rules).toContainEqual(expect.objectContaining({ Status: 'Enabled', AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 } }));
    expect(bucket).toMatchObject({ DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
  });

  it('refuses every request over plain HTTP or TLS below 1.2, on the bucket and its objects, and grants nothing', () => {
    expect(template.Resources.ArtifactsBucketPolicy?.Properties?.Bucket).toEqual({ Ref: 'ArtifactsBucket' });
    expect(statements.map(({ Effect }) => Effect)).toEqual(['Deny', 'Deny']);
    expect(statements.find((statement) => statement.Sid === 'DenyPlainHttp')).toEqual({
      Sid: 'DenyPlainHttp',
      Effect: 'Deny',
      Principal: '*',
      Action: 's3:*',
      Resource: BUCKET_AND_OBJECTS,
      Condition: { Bool: { 'aws:SecureTransport': 'false' } },
    });
    expect(statements.find((statement) => statement.Sid === 'DenyTlsBelow12')).toMatchObject({
      Principal: '*',
      Action: 's3:*',
      Resource: BUCKET_AND_OBJECTS,
      Condition: { NumericLessThan: { 's3:TlsVersion': '1.2' } },
    });
  });

  it('outputs the bucket name services-role.yaml takes', () => {
    expect(template.Outputs?.ArtifactsBucketName?.Value).toEqual({ Ref: 'ArtifactsBucket' });
    expect(template.Outputs?.ArtifactsBucketArn?.Value).toEqual({ 'Fn::GetAtt': ['ArtifactsBucket', 'Arn'] });
  });
});
